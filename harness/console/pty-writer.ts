// Writes to a pty's master fd in order, with backpressure (EAGAIN: retry after a delay that doubles while
// the pty stays full, 1 to 50 ms; retrying on every turn of the event loop kept a core busy for as long as
// a guest did not read its console). Once the pty is closed, or a write fails for good (EBADF, EIO: the child is gone), what is left
// and what comes later is dropped quietly and counted: a write racing QEMU's exit is not an error to print.
// The writes are synchronous: node-pty makes the master fd non-blocking, so a write takes what the line
// discipline has room for and returns at once, and a full pty says EAGAIN instead of blocking. An async
// write was a thread-pool round trip per command, Enter and terminal answer (a worker woken, then the
// event loop for its completion), for a copy into the kernel that takes microseconds.
import { writeSync } from 'node:fs';

/** Longest wait before trying a full pty again: a guest that reads again waits at most this for more. */
const maxRetryDelayMs = 50;

export interface DroppedWrites {
  writes: number;
  bytes: number;
  /** Why writing stopped: `closed`, or the error code of the write that failed (EBADF, EIO). */
  reason: string | undefined;
}

export class PtyWriter {
  private readonly queue: Buffer[] = [];
  private offset = 0;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;
  private retryDelayMs = 0;
  readonly dropped: DroppedWrites = { writes: 0, bytes: 0, reason: undefined };

  constructor(private readonly fd: number) {}

  write(data: Buffer): void {
    if (data.byteLength === 0) return;
    if (this.closed) {
      this.drop(data.byteLength);
      return;
    }
    this.queue.push(data);
    if (this.queue.length === 1) this.pump();
  }

  /** No write reaches the fd after this (the fd may be closed, and its number reused). */
  close(reason = 'closed'): void {
    if (this.closed) return;
    this.closed = true;
    this.dropped.reason ??= reason;
    clearTimeout(this.retry);
    for (const [index, pending] of this.queue.entries()) this.drop(pending.byteLength - (index === 0 ? this.offset : 0));
    this.queue.length = 0;
  }

  private drop(bytes: number): void {
    this.dropped.writes += 1;
    this.dropped.bytes += bytes;
  }

  private pump(): void {
    this.retry = undefined;
    while (!this.closed && this.queue.length > 0) {
      const head = this.queue[0]!;
      let written: number;
      try {
        written = writeSync(this.fd, head, this.offset, head.byteLength - this.offset);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') {
          this.retryDelayMs = Math.min(maxRetryDelayMs, Math.max(1, this.retryDelayMs * 2));
          this.retry = setTimeout(() => this.pump(), this.retryDelayMs);
        } else {
          this.close(code ?? (error as Error).message);
        }
        return;
      }
      this.retryDelayMs = 0;
      this.offset += written;
      if (this.offset >= head.byteLength) {
        this.queue.shift();
        this.offset = 0;
      }
    }
  }
}
