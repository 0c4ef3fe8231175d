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
  /**
   * Started in the background at its place in the order, so it runs alongside the commands after it (on a
   * guest with more than one vCPU, at the same time); its answer is printed once they are done. For a
   * slow command that only reads.
   */
  alongside?: boolean;
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
function batchScript(frame: string, first: number, commands: readonly PrefetchedCommand[]): string {
  const words = commands.map((c) => shellQuote(c.alongside ? `&${c.command}` : c.command)).join(' ');
  if (!commands.some((c) => c.alongside)) {
    return `_h=${splitQuoted(frame)}; _i=${first}; for _c in ${words}; do echo "\${_h}{\$_i"; eval "\$_c"; echo "}\$_i\$_h \$?"; _i=\$((_i+1)); done`;
  }
  // A command marked `&` runs in the background into a file (its closing frame too), printed after the
  // rest. In a subshell: an interactive shell would print job notices ("[1] 123") between the frames, and
  // `wait` there would also wait for jobs the caller started on the console.
  return `( _h=${splitQuoted(frame)}; _i=${first}; _p=; _b=; for _c in ${words}; do case \$_c in \\&*) { eval "\${_c#&}"; echo "}\$_i\$_h \$?"; }>/run/.h\$\$.\$_i 2>&1 & _p="\$_p \$!"; _b="\$_b \$_i";; *) echo "\$_h{\$_i"; eval "\$_c"; echo "}\$_i\$_h \$?";; esac; _i=\$((_i+1)); done; wait \$_p; for _i in \$_b; do echo "\$_h{\$_i"; cat /run/.h\$\$.\$_i; done; rm -f /run/.h\$\$.* & )`;
}

/** Splits `commands` into runs whose scripts fit on one line; a command too long alone gets no batch. */
function batches(frame: string, commands: readonly PrefetchedCommand[]): { first: number; commands: PrefetchedCommand[] }[] {
  const out: { first: number; commands: PrefetchedCommand[] }[] = [];
  let current: { first: number; commands: PrefetchedCommand[] } | undefined;
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
    // Running alongside saves less than a round trip costs: without it when it would take another line.
    const alongside = batches(frame, commands);
    const inOrder = batches(frame, commands.map((c) => ({ ...c, alongside: false })));
    for (const batch of alongside.length > inOrder.length ? inOrder : alongside) {
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
      for (const [offset, { command }] of batch.commands.entries()) {
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
