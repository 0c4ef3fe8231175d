// Typed errors with fields a caller can act on. Every harness error has a one-line `shortMessage`
// and a long `message` that adds context (console tail, phase, accelerator, log path).

export interface ConsoleContext {
  /** Boot phase reached when the error happened, e.g. `kernel` or `prompt`. */
  phase?: string | undefined;
  /** Accelerator that ran the guest (`kvm` or `tcg`). */
  accel?: string | undefined;
  /** Folder or file holding the console log of the run. */
  logPath?: string | undefined;
  /** What the owner of the transport knows about its end (e.g. QEMU's stderr), read when the console closes. */
  describeExit?: (() => string) | undefined;
}

export class HarnessError extends Error {
  override readonly name: string = 'HarnessError';
  readonly shortMessage: string;
  constructor(shortMessage: string, details?: string, options?: { cause?: unknown }) {
    super(details ? `${shortMessage}\n${details}` : shortMessage, options);
    this.shortMessage = shortMessage;
  }
}

/** Bad input from a user: an option, a path, a combination. CLI exit code 2. */
export class UsageError extends HarnessError {
  override readonly name = 'UsageError';
  constructor(
    readonly input: string,
    readonly problem: string,
    readonly fix: string,
  ) {
    super(`${input}: ${problem}`, `Fix: ${fix}`);
  }
}

/** Formats the context block shared by console-related errors. */
export function describeContext(context: ConsoleContext, tail: readonly string[]): string {
  const lines: string[] = [];
  if (context.phase) lines.push(`Boot phase reached: ${context.phase}`);
  if (context.accel) lines.push(`Accelerator: ${context.accel}`);
  if (context.logPath) lines.push(`Console log: ${context.logPath}`);
  lines.push(`Last ${tail.length} console lines:`);
  for (const line of tail) lines.push(`  | ${line}`);
  return lines.join('\n');
}
