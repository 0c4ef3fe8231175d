// Fewer, bigger reads from a pty: after each read the source is paused for a short window, so what the
// child writes meanwhile (QEMU writes the guest UART a few bytes at a time) piles up in the kernel's pty
// buffer and arrives as one read. Node pays per read (a syscall, a Buffer, a callback, and every listener
// after it), so this cuts the harness's CPU per console byte by the read size it gains. The first read
// after a quiet spell is delivered at once; later bytes wait at most the window.

export interface PausableSource {
  pause(): void;
  resume(): void;
}

export interface CoalescerTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: CoalescerTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export class ReadCoalescer {
  private timer: unknown;
  private stopped = false;

  constructor(
    private readonly source: PausableSource,
    readonly windowMs: number,
    private readonly timers: CoalescerTimers = realTimers,
  ) {}

  /** Call after each read has been delivered. */
  afterRead(): void {
    if (this.windowMs <= 0 || this.timer !== undefined || this.stopped) return;
    this.source.pause();
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      if (!this.stopped) this.source.resume();
    }, this.windowMs);
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
}
