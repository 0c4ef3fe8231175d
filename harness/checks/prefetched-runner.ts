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

/** What one command printed, framed like the serial shell frames a command: `M{i\n`…`}iM <status>\n`. */
function framed(marker: string, index: number, command: string): string {
  return `echo ${splitQuoted(marker)}'{${index}'; eval ${shellQuote(command)}; echo "}${index}"${splitQuoted(marker, '"')}" $?"`;
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
   * Runs `commands` in order, in one shell command line. When the round trip fails or an answer is
   * missing, those commands simply run again on their own when asked.
   */
  static async prefetch(runner: CommandRunner, commands: readonly PrefetchedCommand[], marker: MarkerSource = randomMarker): Promise<PrefetchedRunner> {
    const text = commands.map((c) => c.command).join('\n');
    let frame = marker();
    while (text.includes(frame)) frame = marker();
    const script = commands.map((c, index) => framed(frame, index, c.command)).join('; ');
    const timeoutMs = commands.reduce((sum, c) => sum + (c.timeoutMs ?? 30_000), 0);
    const startedAtMs = monotonicNowMs();
    let output: string;
    try {
      output = (await runner.execute(script, { timeoutMs })).stdout;
    } catch {
      return new PrefetchedRunner(runner, []);
    }
    const durationMs = monotonicNowMs() - startedAtMs;
    const answers: CommandResult[] = [];
    for (const [index, { command }] of commands.entries()) {
      const open = `${frame}{${index}\n`;
      const from = output.indexOf(open);
      if (from === -1) continue;
      const close = new RegExp(`\\}${index}${frame} (\\d+)\\n`).exec(output.slice(from + open.length));
      if (!close) continue;
      answers.push({ command, stdout: close.input.slice(0, close.index), stderr: '', exitCode: Number(close[1]), durationMs });
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
