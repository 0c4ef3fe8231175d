// The one way the harness runs a short-lived child (argv only, no shell, through execa): to completion
// with captured output and a time limit, or until a pattern appears on its stdout. The console is node-pty's.
import { execa, type ResultPromise } from 'execa';
import { monotonicNowMs } from './clock.ts';

export interface ProcessResult {
  /** undefined when the process was killed or never started. */
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Set when the program could not be started at all (ENOENT, EACCES). */
  spawnError?: string | undefined;
}

export interface RunProcessOptions {
  /** SIGKILL after this long. */
  timeoutMs: number;
  cwd?: string | undefined;
  /** Output kept per stream (default 1 MiB); past it the child is stopped, as one gone astray. */
  maxOutputBytes?: number;
}

const defaultMaxOutputBytes = 1 << 20;

/** Runs `file args` to its end (or `timeoutMs`); never throws for the child's failures, which are in the result. */
export async function runProcess(file: string, args: readonly string[], options: RunProcessOptions): Promise<ProcessResult> {
  const result = await execa(file, [...args], {
    reject: false,
    stdin: 'ignore',
    cwd: options.cwd,
    timeout: options.timeoutMs,
    killSignal: 'SIGKILL',
    maxBuffer: options.maxOutputBytes ?? defaultMaxOutputBytes,
    stripFinalNewline: false,
  });
  return {
    exitCode: result.exitCode,
    stdout: typeof result.stdout === 'string' ? result.stdout : '',
    stderr: typeof result.stderr === 'string' ? result.stderr : '',
    timedOut: result.timedOut,
    spawnError: spawnErrorOf(result),
  };
}

export interface OutputWaitResult {
  matched: boolean;
  elapsedMs: number;
  exitCode: number | null;
  signal: string | null;
  stderrTail: string;
  spawnError?: string | undefined;
}

/** What is kept of each stream: enough for a banner and QEMU's last words. */
const tailLimit = 8_192;

/**
 * Starts `file args` and resolves when `pattern` appears on its stdout, the process exits, or `timeoutMs`
 * passes. The child is SIGKILLed and reaped before this resolves; its exit status is read before that kill.
 */
export async function runUntilOutput(file: string, args: readonly string[], pattern: RegExp, timeoutMs: number): Promise<OutputWaitResult> {
  const startedMs = monotonicNowMs();
  const child = execa(file, [...args], { reject: false, stdin: 'ignore', buffer: false, killSignal: 'SIGKILL' });
  let stdoutTail = '';
  let stderrTail = '';
  let stdoutEnded = false;
  let finished = false;
  const ended = child.then((result) => {
    finished = true;
    return result;
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    const matched = await new Promise<boolean>((resolve) => {
      child.stdout.setEncoding('utf8');
      child.stderr.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        stdoutTail = (stdoutTail + chunk).slice(-tailLimit);
        if (pattern.test(stdoutTail)) resolve(true);
      });
      child.stderr.on('data', (chunk: string) => (stderrTail = (stderrTail + chunk).slice(-tailLimit)));
      // The end of stdout, not the exit: a guest that prints the banner and panics at once (no initrd)
      // may exit before its last output has been read.
      child.stdout.once('end', () => {
        stdoutEnded = true;
        resolve(pattern.test(stdoutTail));
      });
      // A child that never started has no stdout to end.
      void ended.then(() => resolve(pattern.test(stdoutTail)));
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const elapsedMs = monotonicNowMs() - startedMs;
    if (!matched && stdoutEnded) {
      // stdout closing usually means the process is exiting: collect its exit status and last words.
      await Promise.race([ended, delay(500)]);
      if (!child.stderr.readableEnded) await Promise.race([new Promise((resolve) => child.stderr.once('end', resolve)), delay(200)]);
    }
    const spawnError = finished ? spawnErrorOf(await ended) : undefined;
    return { matched, elapsedMs, exitCode: child.exitCode, signal: matched ? null : child.signalCode, stderrTail, spawnError };
  } finally {
    clearTimeout(timer);
    if (!finished) child.kill('SIGKILL');
    await ended;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** The start failure (ENOENT, EACCES) of a child that never ran; undefined for one that ran, however it ended. */
function spawnErrorOf(result: Awaited<ResultPromise>): string | undefined {
  if (!result.failed || result.exitCode !== undefined || result.signal !== undefined || result.timedOut || result.isMaxBuffer) return undefined;
  return result.cause instanceof Error ? result.cause.message : result.shortMessage;
}
