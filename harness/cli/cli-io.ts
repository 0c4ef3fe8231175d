// What a CLI command may touch of the outside world, injectable so commands are testable in-process.
import { isatty } from 'node:tty';

/** The user's keyboard, for commands that hand a console to the terminal (`boot --attach`, `attach`). */
export interface TerminalInput {
  /** True when stdin is a terminal (raw mode is possible). */
  readonly isTTY: boolean;
  setRawMode(raw: boolean): void;
  /** Subscribes to typed bytes; reading starts with the first listener and stops with the last. */
  onData(listener: (chunk: Uint8Array) => void): () => void;
}

export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  /** True when stdout is a terminal: progress lines and colour are allowed (unless NO_COLOR). */
  isTTY: boolean;
  /** Terminal width when stdout is a terminal (a live status line is cut to fit). */
  columns?: number | undefined;
  /** Terminal height when stdout is a terminal. */
  rows?: number | undefined;
  /** The keyboard; absent in in-process tests and wherever nothing can be typed. */
  stdin?: TerminalInput | undefined;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** A command action reports its exit code through this holder; commander's own errors map to 2. */
export interface ExitHolder {
  code: ExitCode;
}

export function processIO(): CliIO {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    isTTY: Boolean(process.stdout.isTTY),
    columns: process.stdout.columns,
    rows: process.stdout.rows,
    stdin: processStdin,
    env: process.env,
    cwd: process.cwd(),
  };
}

// process.stdin is only touched when a command reads it: merely creating the stream for a pipe or a
// terminal is enough to change how the process exits.
const processStdin: TerminalInput = {
  get isTTY() {
    return isatty(0);
  },
  setRawMode(raw) {
    if (process.stdin.isTTY) process.stdin.setRawMode(raw);
  },
  onData(listener) {
    const stdin = process.stdin;
    stdin.on('data', listener);
    stdin.resume();
    return () => {
      stdin.off('data', listener);
      if (stdin.listenerCount('data') === 0) stdin.pause();
    };
  },
};

/** Exit codes shared by every command: 0 all good, 1 a check or match failed, 2 bad usage or input. */
export const ExitCode = { ok: 0, failed: 1, usage: 2 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
