// One deadline per operation, passed down, so sub-steps share a budget instead of each getting a fresh one.
import { monotonicNowMs } from './clock.ts';

export class Deadline {
  private constructor(
    readonly startedAtMs: number,
    readonly budgetMs: number,
    private readonly now: () => number,
  ) {}

  static after(budgetMs: number, now: () => number = monotonicNowMs): Deadline {
    return new Deadline(now(), budgetMs, now);
  }

  get elapsedMs(): number {
    return this.now() - this.startedAtMs;
  }

  get remainingMs(): number {
    return Math.max(0, this.budgetMs - this.elapsedMs);
  }

  get expired(): boolean {
    return this.remainingMs <= 0;
  }

  /** A shorter deadline inside this one: the sooner of `budgetMs` from now and this deadline. */
  within(budgetMs: number): Deadline {
    return Deadline.after(Math.min(budgetMs, this.remainingMs), this.now);
  }
}

/** `budgetMs` stretched by a run's timeout scale (`factor`), in whole milliseconds, at least 1. */
export function scaledMs(budgetMs: number, scale: { readonly factor: number }): number {
  return Math.max(1, Math.round(budgetMs * scale.factor));
}

/** `promise`, or after `ms` the error `onTimeout` returns (which may also stop what was awaited). */
export async function withinMs<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
