// One non-throwing `execute` per transport (serial shell, SSH); succeed/fail/waitUntilSucceeds are
// written once on top of it in command-assertions.ts.

export interface CommandResult {
  command: string;
  stdout: string;
  /** Empty on the serial console, where stderr is merged into stdout. */
  stderr: string;
  exitCode: number;
  durationMs: number;
}

export interface ExecuteOptions {
  timeoutMs?: number;
}

export interface CommandRunner {
  /** Runs `command` and resolves with its result whatever its exit code; rejects only when the channel fails. */
  execute(command: string, options?: ExecuteOptions): Promise<CommandResult>;
}
