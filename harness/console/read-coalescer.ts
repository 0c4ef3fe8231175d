// Fewer, bigger reads from a pty: after each read the source is paused for a short window, so what the
// child writes meanwhile (QEMU writes the guest UART a few bytes at a time) piles up in the kernel's pty
// buffer and arrives as one read. Node pays per read (a syscall, a Buffer, a callback, and every listener
// after it), so this cuts the harness's CPU per console byte by the read size it gains. The first read
// after a quiet spell is delivered at once; later bytes wait at most the window. While output streams (a
// read comes within a few ms of the last read or of the pause's end), the window doubles up to a maximum,
// and it is back to the shortest after the next quiet spell: a booting kernel is read in few big reads, a
// command's answer is not held back longer than the shortest window unless it streams too, and then the
// window grows only to a smaller maximum until the answer pauses (see wrote).
// A fast writer is never paused: the pty's line discipline holds 4 KiB, so a read that comes back half
// full or more means the writer outruns the window, and a pause would cap the stream at 4 KiB per window
// (measured: 0.1 MB/s at a 40 ms window against 18-32 MB/s unpaused). After such a read there is no pause,
// nor after the first small read that follows it (the end of one of the writer's writes), and the window
// halves: reads that big cost little per byte.

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

/** A read of at least this many bytes filled half the pty's 4 KiB line-discipline buffer: no pause after it. */
export const bigReadBytes = 2048;

/** The longest window while the answer to a write streams, unless the streaming maximum is shorter. */
export const answerMaxWindowMs = 40;

export class ReadCoalescer {
  private timer: unknown;
  private stopped = false;
  private currentMs: number;
  private resumedAtMs = Number.NEGATIVE_INFINITY;
  private lastReadAtMs = Number.NEGATIVE_INFINITY;
  /** Something was written and its answer is coming: until it pauses, the window grows only to answerMaxWindowMs. */
  private answering = false;
  private answerReads = 0;
  /** The last read was big (bigReadBytes): the writer outruns the window. */
  private flowing = false;

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

  /** Call after each read has been delivered, with its size in bytes. */
  afterRead(bytes: number): void {
    if (this.windowMs <= 0 || this.timer !== undefined || this.stopped) return;
    const now = this.now();
    const gapMs = now - Math.max(this.resumedAtMs, this.lastReadAtMs);
    this.lastReadAtMs = now;
    if (this.answering && this.answerReads++ > 0 && gapMs > streamingGapMs) this.answering = false;
    if (bytes >= bigReadBytes) {
      this.flowing = true;
      this.currentMs = Math.max(this.windowMs, this.currentMs / 2);
      return;
    }
    if (this.flowing) {
      this.flowing = false;
      return;
    }
    const maxMs = this.answering ? Math.min(this.maxWindowMs, answerMaxWindowMs) : this.maxWindowMs;
    this.currentMs = gapMs <= streamingGapMs ? Math.min(maxMs, this.currentMs * 2) : this.windowMs;
    this.source.pause();
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      if (this.stopped) return;
      this.resumedAtMs = this.now();
      this.source.resume();
    }, this.currentMs);
  }

  /**
   * Call when something was written to the child: its answer (an echo, a prompt) is wanted now, not after
   * a window grown while the output streamed. A pause under way ends at once, the next read counts as the
   * first after a quiet spell, and until the answer pauses the window stays within answerMaxWindowMs (the
   * end of a long answer, e.g. a journal, is not held back a whole streaming window).
   */
  wrote(): void {
    if (this.windowMs <= 0 || this.stopped) return;
    this.currentMs = this.windowMs;
    this.answering = true;
    this.answerReads = 0;
    this.resumedAtMs = Number.NEGATIVE_INFINITY;
    this.lastReadAtMs = Number.NEGATIVE_INFINITY;
    this.endPause();
  }

  /** Reads flow freely from now on (the child exited, or the transport is closing). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.endPause();
  }

  /** Ends a pause under way now instead of at its timer. */
  private endPause(): void {
    if (this.timer === undefined) return;
    this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.source.resume();
  }

  private now(): number {
    return this.timers.now ? this.timers.now() : performance.now();
  }
}
