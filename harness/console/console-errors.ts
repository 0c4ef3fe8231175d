// Errors of the console expecter: what was awaited, for how long, and what the console last showed.
import { type ConsoleContext, HarnessError, describeContext } from '../errors.ts';
import type { TransportExit } from './console-transport.ts';
import type { FailurePattern } from './failure-patterns.ts';

export const EOF: unique symbol = Symbol('EOF');
export const TIMEOUT: unique symbol = Symbol('TIMEOUT');
export type Pattern = string | RegExp | typeof EOF | typeof TIMEOUT;

export function describePattern(pattern: Pattern): string {
  if (pattern === EOF) return 'EOF';
  if (pattern === TIMEOUT) return 'TIMEOUT';
  if (typeof pattern === 'string') return JSON.stringify(pattern);
  return String(pattern);
}

export function describePatterns(patterns: readonly Pattern[]): string {
  return patterns.map(describePattern).join(', ');
}

export class ExpectTimeoutError extends HarnessError {
  override readonly name = 'ExpectTimeoutError';
  readonly phase: string | undefined;
  readonly accel: string | undefined;
  readonly logPath: string | undefined;
  constructor(
    readonly patterns: readonly Pattern[],
    readonly elapsedMs: number,
    readonly budgetMs: number,
    readonly tail: string[],
    context: ConsoleContext,
    readonly screen?: string,
  ) {
    super(
      `Console pattern ${describePatterns(patterns)} not seen after ${Math.round(elapsedMs)} ms`,
      [
        `Waited for: ${describePatterns(patterns)}`,
        `Elapsed: ${Math.round(elapsedMs)} ms of a ${budgetMs} ms budget`,
        ...(screen === undefined ? [] : ['Screen:', ...screen.trimEnd().split('\n').map((row) => `  | ${row}`)]),
        // With the screen shown, a text UI's stream lines (one flattened line of boxes and words) are only cut short.
        describeContext(context, screen === undefined ? tail : tail.map(cutLine)),
      ].join('\n'),
    );
    this.phase = context.phase;
    this.accel = context.accel;
    this.logPath = context.logPath;
  }
}

const maxLineCharsBesideScreen = 160;

function cutLine(line: string): string {
  return line.length > maxLineCharsBesideScreen ? `${line.slice(0, maxLineCharsBesideScreen)}…` : line;
}

export class ConsoleFailureError extends HarnessError {
  override readonly name = 'ConsoleFailureError';
  readonly phase: string | undefined;
  readonly accel: string | undefined;
  readonly logPath: string | undefined;
  constructor(
    readonly failure: FailurePattern,
    readonly line: string,
    /** The failure line and the lines that followed it (up to the trace limit). */
    readonly trace: string[],
    context: ConsoleContext,
  ) {
    super(
      `Console showed ${failure.name}: ${line.trim()}`,
      [
        ...(context.phase ? [`Boot phase reached: ${context.phase}`] : []),
        ...(context.accel ? [`Accelerator: ${context.accel}`] : []),
        ...(context.logPath ? [`Console log: ${context.logPath}`] : []),
        `Trace (${trace.length} lines):`,
        ...trace.map((traceLine) => `  | ${traceLine}`),
      ].join('\n'),
    );
    this.phase = context.phase;
    this.accel = context.accel;
    this.logPath = context.logPath;
  }
}

export class ConsoleClosedError extends HarnessError {
  override readonly name = 'ConsoleClosedError';
  constructor(
    readonly patterns: readonly Pattern[],
    readonly exit: TransportExit | undefined,
    readonly tail: string[],
    context: ConsoleContext = {},
  ) {
    const how = exit
      ? `the console closed (exit code ${exit.exitCode ?? 'none'}, signal ${exit.signal ?? 'none'})`
      : 'the console was disposed';
    const exitDetails = exit ? context.describeExit?.().trim() || undefined : undefined;
    super(
      `Console pattern ${describePatterns(patterns)} not seen before ${how}`,
      [exitDetails, describeContext(context, tail)].filter(Boolean).join('\n'),
    );
    this.exitDetails = exitDetails;
  }

  /** What the transport's owner said about the end, e.g. QEMU's stderr. */
  readonly exitDetails: string | undefined;
}
