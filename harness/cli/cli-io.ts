// What a CLI command may touch of the outside world, injectable so commands are testable in-process.

export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  /** True when stdout is a terminal: progress lines and colour are allowed (unless NO_COLOR). */
  isTTY: boolean;
  /** Terminal width when stdout is a terminal (a live status line is cut to fit). */
  columns?: number | undefined;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export function processIO(): CliIO {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    isTTY: Boolean(process.stdout.isTTY),
    columns: process.stdout.columns,
    env: process.env,
    cwd: process.cwd(),
  };
}

/** Exit codes shared by every command: 0 all good, 1 a check or match failed, 2 bad usage or input. */
export const ExitCode = { ok: 0, failed: 1, usage: 2 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
