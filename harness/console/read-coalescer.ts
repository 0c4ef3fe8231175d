// Fewer, bigger reads from a pty: after each read the source is paused for a short window, so what the
// child writes meanwhile (QEMU writes the guest UART a few bytes at a time) piles up in the kernel's pty
// buffer and arrives as one read. Node pays per read (a syscall, a Buffer, a callback, and every listener
// after it), so this cuts the harness's CPU per console byte by the read size it gains. The first read
// after a quiet spell is delivered at once; later bytes wait at most the window. While output streams (a
// read is waiting the moment the pause ends), the window doubles up to a maximum, and it is back to the
// shortest after the next quiet spell: a booting kernel is read in few big reads, a command's answer is
// not held back longer than the shortest window unless it streams too.

export interface PausableSource {
  pause(): void;
  resume(): void;
}

export interface CoalescerTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** Monotonic milliseconds (default performance.now). */
  now?(): number;
}

const realTimers: CoalescerTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** A read this soon after the pause ended was waiting for it: the output is streaming. */
export const streamingGapMs = 3;

export class ReadCoalescer {
  private timer: unknown;
  private stopped = false;
  private currentMs: number;
  private resumedAtMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly source: PausableSource,
    readonly windowMs: number,
    private readonly timers: CoalescerTimers = realTimers,
    /** The longest window while output streams (default windowMs: a fixed window). */
    readonly maxWindowMs = windowMs,
  ) {
    this.currentMs = windowMs;
  }

  /** The window the current (or next) pause lasts. */
  get currentWindowMs(): number {
    return this.currentMs;
  }

  /** Call after each read has been delivered. */
  afterRead(): void {
    if (this.windowMs <= 0 || this.timer !== undefined || this.stopped) return;
    const now = this.now();
    this.currentMs = now - this.resumedAtMs <= streamingGapMs ? Math.min(this.maxWindowMs, this.currentMs * 2) : this.windowMs;
    this.source.pause();
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      if (this.stopped) return;
      this.resumedAtMs = this.now();
      this.source.resume();
    }, this.currentMs);
  }

  /** Reads flow freely from now on (the child exited, or the transport is closing). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer === undefined) return;
    this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.source.resume();
  }

  private now(): number {
    return this.timers.now ? this.timers.now() : performance.now();
  }
}
