// Runs a list of commands in one round trip to the guest and then answers each of them once from what
// came back, so checks written one command at a time cost one serial round trip together instead of
// one each (under TCG a round trip on the serial shell is a few hundred ms). Any other command, a second
// ask of the same command (a poll) and everything after a failed round trip go to the real runner.
import type { CommandResult, CommandRunner, ExecuteOptions } from '../command/command-runner.ts';
import { type MarkerSource, randomMarker, shellQuote, splitQuoted } from '../console/command-marker.ts';
import { monotonicNowMs } from '../util/clock.ts';

export interface PrefetchedCommand {
  command: string;
  /** The budget the check itself would give this command (the round trip gets the sum). */
  timeoutMs?: number;
}

/**
 * Longest batch script, once quoted for the serial shell's `eval`: busybox's line editor takes lines of
 * at most 1024 characters (a longer one hangs half typed), and the shell's own framing adds ~60.
 */
const maxQuotedScriptChars = 800;

/**
 * One command line that runs `commands` in order, framing each output like the serial shell frames a
 * command (`M{i\n`…`}iM <status>\n`), each command quoted only once so the line stays short.
 */
function batchScript(frame: string, first: number, commands: readonly string[]): string {
  return `_h=${splitQuoted(frame)}; _i=${first}; for _c in ${commands.map(shellQuote).join(' ')}; do echo "\${_h}{\$_i"; eval "\$_c"; echo "}\$_i\$_h \$?"; _i=\$((_i+1)); done`;
}

/** Splits `commands` into runs whose scripts fit on one line; a command too long alone gets no batch. */
function batches(frame: string, commands: readonly string[]): { first: number; commands: string[] }[] {
  const out: { first: number; commands: string[] }[] = [];
  let current: { first: number; commands: string[] } | undefined;
  for (const [index, command] of commands.entries()) {
    if (current && shellQuote(batchScript(frame, current.first, [...current.commands, command])).length <= maxQuotedScriptChars) {
      current.commands.push(command);
      continue;
    }
    current = shellQuote(batchScript(frame, index, [command])).length <= maxQuotedScriptChars ? { first: index, commands: [command] } : undefined;
    if (current) out.push(current);
  }
  return out;
}

export class PrefetchedRunner implements CommandRunner {
  private readonly answers = new Map<string, CommandResult[]>();

  private constructor(
    private readonly runner: CommandRunner,
    answers: CommandResult[],
  ) {
    for (const answer of answers) {
      const list = this.answers.get(answer.command) ?? [];
      list.push(answer);
      this.answers.set(answer.command, list);
    }
  }

    /**
   * Runs `commands` in order, in as few shell command lines as fit (one, for the pre-nixos suite). When a
   * round trip fails or an answer is missing, those commands simply run again on their own when asked.
   */
  static async prefetch(runner: CommandRunner, commands: readonly PrefetchedCommand[], marker: MarkerSource = randomMarker): Promise<PrefetchedRunner> {
    const text = commands.map((c) => c.command).join('\n');
    let frame = marker();
    while (text.includes(frame)) frame = marker();
    const answers: CommandResult[] = [];
    for (const batch of batches(frame, commands.map((c) => c.command))) {
      const budgets = commands.slice(batch.first, batch.first + batch.commands.length);
      const timeoutMs = budgets.reduce((sum, c) => sum + (c.timeoutMs ?? 30_000), 0);
      const startedAtMs = monotonicNowMs();
      let output: string;
      try {
        output = (await runner.execute(batchScript(frame, batch.first, batch.commands), { timeoutMs })).stdout;
      } catch {
        // The channel failed: what is left runs on its own when asked (and says what went wrong then).
        break;
      }
      const durationMs = monotonicNowMs() - startedAtMs;
      for (const [offset, command] of batch.commands.entries()) {
        const index = batch.first + offset;
        const open = `${frame}{${index}\n`;
        const from = output.indexOf(open);
        if (from === -1) continue;
        const close = new RegExp(`\\}${index}${frame} (\\d+)\\n`).exec(output.slice(from + open.length));
        if (!close) continue;
        answers.push({ command, stdout: close.input.slice(0, close.index), stderr: '', exitCode: Number(close[1]), durationMs });
      }
    }
    return new PrefetchedRunner(runner, answers);
  }

  /** Commands answered from the round trip and not asked for yet. */
  get unused(): string[] {
    return [...this.answers.entries()].flatMap(([command, list]) => list.map(() => command));
  }

  execute(command: string, options?: ExecuteOptions): Promise<CommandResult> {
    const answer = this.answers.get(command)?.shift();
    if (answer) return Promise.resolve(answer);
    return this.runner.execute(command, options);
  }
}
