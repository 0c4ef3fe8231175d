// succeed / fail / waitUntilSucceeds, written once over any CommandRunner (serial shell or SSH).
import { HarnessError } from '../errors.ts';
import { Deadline } from '../util/deadline.ts';
import { sleep } from '../util/clock.ts';
import type { CommandResult, CommandRunner, ExecuteOptions } from './command-runner.ts';

export class CommandFailedError extends HarnessError {
  override readonly name = 'CommandFailedError';
  constructor(
    readonly result: CommandResult,
    readonly expectation: 'success' | 'failure',
  ) {
    const verdict =
      expectation === 'success'
        ? `exited ${result.exitCode}, expected 0`
        : 'exited 0, expected a non-zero exit';
    super(`Command \`${result.command}\` ${verdict}`, formatOutput(result));
  }
}

export class CommandRetryTimeoutError extends HarnessError {
  override readonly name = 'CommandRetryTimeoutError';
  constructor(
    readonly command: string,
    readonly attempts: number,
    readonly elapsedMs: number,
    readonly budgetMs: number,
    readonly lastResult: CommandResult | undefined,
  ) {
    super(
      `Command \`${command}\` did not succeed after ${Math.round(elapsedMs)} ms (${attempts} attempts, budget ${budgetMs} ms)`,
      lastResult ? `Last attempt:\n${formatOutput(lastResult)}` : undefined,
    );
  }
}

function formatOutput(result: CommandResult): string {
  const parts = [`exit code: ${result.exitCode}`, `stdout:\n${indent(result.stdout)}`];
  if (result.stderr) parts.push(`stderr:\n${indent(result.stderr)}`);
  return parts.join('\n');
}

function indent(text: string): string {
  return text.trimEnd().split('\n').map((line) => `  | ${line}`).join('\n');
}

/** Runs `command` and returns its stdout; throws CommandFailedError on a non-zero exit. */
export async function succeed(runner: CommandRunner, command: string, options?: ExecuteOptions): Promise<string> {
  const result = await runner.execute(command, options);
  if (result.exitCode !== 0) throw new CommandFailedError(result, 'success');
  return result.stdout;
}

/** Runs `command` and returns its stdout; throws CommandFailedError when it exits 0. */
export async function fail(runner: CommandRunner, command: string, options?: ExecuteOptions): Promise<string> {
  const result = await runner.execute(command, options);
  if (result.exitCode === 0) throw new CommandFailedError(result, 'failure');
  return result.stdout;
}

export interface RetryOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Budget for one attempt; defaults to what is left of the whole budget. */
  attemptTimeoutMs?: number;
}

/** Retries `command` until it exits 0 or the budget runs out; returns the successful result. */
export async function waitUntilSucceeds(
  runner: CommandRunner,
  command: string,
  options: RetryOptions,
): Promise<CommandResult> {
  const deadline = Deadline.after(options.timeoutMs);
  const intervalMs = options.intervalMs ?? 1000;
  let attempts = 0;
  let lastResult: CommandResult | undefined;
  for (;;) {
    attempts += 1;
    const attemptBudget = Math.min(options.attemptTimeoutMs ?? Infinity, deadline.remainingMs);
    lastResult = await runner.execute(command, { timeoutMs: Math.max(1, attemptBudget) });
    if (lastResult.exitCode === 0) return lastResult;
    if (deadline.remainingMs <= intervalMs) {
      throw new CommandRetryTimeoutError(command, attempts, deadline.elapsedMs, options.timeoutMs, lastResult);
    }
    await sleep(intervalMs);
  }
}
