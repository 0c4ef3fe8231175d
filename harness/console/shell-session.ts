// A shell on the serial console as a CommandRunner: finds the image's shell (logging in if asked), installs
// a prompt of its own that the echo of a typed command can never match, and frames every command's output
// with a random marker split in quotes, the exit status riding in the closing frame.
import { fail, succeed, waitUntilSucceeds, type RetryOptions } from '../command/command-assertions.ts';
import type { CommandResult, CommandRunner, ExecuteOptions } from '../command/command-runner.ts';
import { HarnessError } from '../errors.ts';
import { type Clock, monotonicNowMs } from '../util/clock.ts';
import { Deadline } from '../util/deadline.ts';
import { type MarkerSource, randomMarker, shellQuote, splitQuoted } from './command-marker.ts';
import { type ExpectMatch, ExpectTimeoutError, type Pattern, type SerialConsole, TIMEOUT } from './serial-console.ts';

export interface ShellSessionOptions {
  /** Budget of a command when execute() is given none (default 30000 ms). */
  defaultTimeoutMs?: number;
  /** Marker generator; tests inject one to force collisions. */
  marker?: MarkerSource;
  clock?: Clock;
}

export interface ShellLogin {
  user: string;
  password?: string;
}

export interface InitializeOptions {
  timeoutMs: number;
  /** The image's own prompt, before the harness installs its own (default: `#` or `$` at the end). */
  promptPattern?: RegExp;
  login?: ShellLogin;
}

export class ShellSessionError extends HarnessError {
  override readonly name = 'ShellSessionError';
}

/** A command on the serial shell did not finish (its closing marker and the prompt did not come back). */
export class ShellCommandTimeoutError extends HarnessError {
  override readonly name = 'ShellCommandTimeoutError';
  readonly tail: string[];
  constructor(
    readonly command: string,
    readonly elapsedMs: number,
    readonly budgetMs: number,
    cause: ExpectTimeoutError,
  ) {
    super(
      `Command \`${command}\` did not finish after ${Math.round(elapsedMs)} ms`,
      `Budget: ${budgetMs} ms\n${cause.message.split('\n').slice(1).join('\n')}`,
      { cause },
    );
    this.tail = cause.tail;
  }
}

const loginPattern = /login:\s*$/;
const passwordPattern = /[Pp]assword:\s*$/;
/** How long to wait for a prompt before pressing Enter again (a quiet console shows nothing until poked). */
const nudgeIntervalMs = 2000;
/** How long to wait for the harness prompt before typing the prompt set-up again. */
const promptRetryMs = 5000;
const maxLoginAttempts = 3;
/** Silence after `login:` that makes it a prompt rather than part of an autologin line. */
const loginQuietMs = 700;

export class ShellSession implements CommandRunner {
  private harnessPrompt: string | undefined;
  private readonly defaultTimeoutMs: number;
  private readonly marker: MarkerSource;
  private readonly clock: Clock;

  constructor(
    readonly console: SerialConsole,
    options: ShellSessionOptions = {},
  ) {
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? 30_000;
    this.marker = options.marker ?? randomMarker;
    this.clock = options.clock ?? monotonicNowMs;
  }

  /** The prompt the harness installed (undefined before initialize). */
  get prompt(): string | undefined {
    return this.harnessPrompt;
  }

  /**
   * Takes over a shell whose prompt the harness installed before (a guest restored from a snapshot).
   * A restored console shows nothing until something is typed, so a round trip proves it is there.
   */
  async resume(options: { prompt: string; timeoutMs: number }): Promise<void> {
    this.harnessPrompt = options.prompt;
    const check = await this.execute('echo harness-ready', { timeoutMs: options.timeoutMs });
    if (check.exitCode !== 0 || withoutKernelLines(check.stdout).trim() !== 'harness-ready') {
      throw new ShellSessionError(
        'Restored shell did not answer the harness round trip',
        `Sent \`echo harness-ready\`, got exit code ${check.exitCode} and output ${JSON.stringify(check.stdout)}`,
      );
    }
  }

  async initialize(options: InitializeOptions): Promise<void> {
    const deadline = Deadline.after(options.timeoutMs, this.clock);
    await this.waitForShell(deadline, options);
    // The prompt text can show up without the prompt being installed (a mangled set-up line makes the
    // shell print an error that quotes it), so only a full round trip ending at that prompt counts;
    // otherwise the set-up is typed again.
    for (;;) {
      await this.installPrompt(deadline);
      let check: CommandResult;
      try {
        check = await this.execute('echo harness-ready', { timeoutMs: Math.max(1, Math.min(deadline.remainingMs, 2 * promptRetryMs)) });
      } catch (error) {
        if (!(error instanceof ShellCommandTimeoutError) || deadline.remainingMs <= promptRetryMs) throw error;
        this.harnessPrompt = undefined;
        this.console.send('\x03');
        continue;
      }
      if (check.exitCode !== 0 || withoutKernelLines(check.stdout).trim() !== 'harness-ready') {
        throw new ShellSessionError(
          'Shell did not answer the harness round trip',
          `Sent \`echo harness-ready\`, got exit code ${check.exitCode} and output ${JSON.stringify(check.stdout)}`,
        );
      }
      return;
    }
  }

  async execute(command: string, options: ExecuteOptions = {}): Promise<CommandResult> {
    const prompt = this.harnessPrompt;
    if (prompt === undefined) throw new ShellSessionError('ShellSession.execute called before initialize()');
    const startedAtMs = this.clock();
    const budgetMs = options.timeoutMs ?? this.defaultTimeoutMs;
    const deadline = Deadline.after(budgetMs, this.clock);
    const marker = this.freshMarker(command, prompt);
    // eval keeps a comment or a syntax error in the command from swallowing the closing marker.
    this.console.sendLine(
      `echo ${splitQuoted(marker)}'{'; eval ${shellQuote(command)}; echo "}"${splitQuoted(marker, '"')}" $?"`,
    );
    const remaining = () => ({ timeoutMs: Math.max(1, deadline.remainingMs) });
    let end: ExpectMatch;
    try {
      await this.console.expect(`${marker}{\n`, remaining());
      end = await this.console.expect(new RegExp(`\\}${marker} (\\d+)\\n`), remaining());
      await this.console.expect(prompt, remaining());
    } catch (error) {
      if (!(error instanceof ExpectTimeoutError)) throw error;
      throw new ShellCommandTimeoutError(command, deadline.elapsedMs, budgetMs, error);
    }
    return {
      command,
      stdout: end.before,
      stderr: '',
      exitCode: Number(end.groups[0]),
      durationMs: this.clock() - startedAtMs,
    };
  }

  run(command: string, options?: ExecuteOptions): Promise<CommandResult> {
    return this.execute(command, options);
  }

  succeed(command: string, options?: ExecuteOptions): Promise<string> {
    return succeed(this, command, options);
  }

  fail(command: string, options?: ExecuteOptions): Promise<string> {
    return fail(this, command, options);
  }

  waitUntilSucceeds(command: string, options: RetryOptions): Promise<CommandResult> {
    return waitUntilSucceeds(this, command, options);
  }

  private async waitForShell(deadline: Deadline, options: InitializeOptions): Promise<void> {
    const prompt = options.promptPattern ?? /[#$]\s?$/;
    const patterns: Pattern[] = [prompt, loginPattern, passwordPattern, TIMEOUT];
    let loginAttempts = 0;
    let nudge = false;
    let candidate = false;
    for (;;) {
      if (deadline.expired) {
        throw new ExpectTimeoutError(
          patterns.slice(0, 3),
          deadline.elapsedMs,
          deadline.budgetMs,
          this.console.tail(40),
          this.console.context,
          this.console.cursorAddressedScreen(),
        );
      }
      if (nudge) this.console.sendLine('');
      const found = await this.console.expect(patterns, {
        timeoutMs: Math.max(1, Math.min(deadline.remainingMs, nudgeIntervalMs)),
      });
      nudge = false;
      if (found.index === 0) {
        // A `#` that merely ended a read during boot (`... #1 SMP ...`) also matches; a real shell answers
        // Enter with another prompt, so one round trip tells them apart.
        if (candidate) return;
        candidate = true;
        this.console.sendLine('');
        continue;
      }
      candidate = false;
      if (found.index === 1 || found.index === 2) {
        // agetty's autologin prints `host login: root (automatic login)`; a read can end right after
        // `login: `. A real prompt is followed by silence, so look for more text on that line first.
        const more = await this.console.expect([/[^\n]*\S[^\n]*\n/, TIMEOUT], { timeoutMs: Math.max(1, Math.min(deadline.remainingMs, loginQuietMs)) });
        if (more.index === 0) continue;
      }
      if (found.index === 1) {
        if (!options.login) {
          throw new ShellSessionError(
            'Console shows a login prompt, but no login was given',
            'Pass `login: { user, password }` to initialize(), or boot an image that starts a root shell.',
          );
        }
        loginAttempts += 1;
        if (loginAttempts > maxLoginAttempts) {
          throw new ShellSessionError(`Login as \`${options.login.user}\` failed ${maxLoginAttempts} times`, this.console.tail(10).join('\n'));
        }
        this.console.sendLine(options.login.user);
      } else if (found.index === 2) {
        this.console.sendLine(options.login?.password ?? '');
      } else {
        nudge = true;
      }
    }
  }

  private async installPrompt(deadline: Deadline): Promise<void> {
    const marker = this.marker();
    const prompt = `<hp-${marker}># `;
    // Split in quotes like the command markers: the echo of this line can never contain the prompt.
    const setup = [
      `PS1='<hp-'${splitQuoted(marker)}'># '`,
      "PS2=''",
      'unset PROMPT_COMMAND',
      // bash only; ash and dash have no `bind`, hence the redirect.
      "bind 'set enable-bracketed-paste off' 2>/dev/null",
      // The guest assumes 80 columns; a wider tty keeps long typed commands from being wrapped.
      'stty columns 1000 2>/dev/null',
    ].join('; ');
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) this.console.send('\x03');
      this.console.sendLine(setup);
      const last = deadline.remainingMs <= promptRetryMs;
      const found = await this.console.expect(last ? [prompt] : [prompt, TIMEOUT], {
        timeoutMs: Math.max(1, Math.min(deadline.remainingMs, promptRetryMs)),
      });
      if (found.index === 0) break;
    }
    this.harnessPrompt = prompt;
  }

  private freshMarker(command: string, prompt: string): string {
    for (let i = 0; i < 100; i++) {
      const marker = this.marker();
      if (!command.includes(marker) && !prompt.includes(marker)) return marker;
    }
    throw new ShellSessionError('Could not pick a command marker that does not occur in the command');
  }
}

/**
 * Command output minus whole kernel log lines (`[    4.235176] …`): the kernel writes to the serial
 * console whenever it likes (a restored guest's NIC coming up, say), so a round trip that only checks
 * the shell must not trip on them. Real command output is never filtered like this.
 */
export function withoutKernelLines(text: string): string {
  return text
    .split('\n')
    .filter((line) => !/^\[\s*\d+\.\d{6}\] /.test(line))
    .join('\n');
}
