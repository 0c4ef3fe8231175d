// Writes to a pty's master fd in order, with backpressure (EAGAIN: retry on the next turn of the event
// loop). Once the pty is closed, or a write fails for good (EBADF, EIO: the child is gone), what is left
// and what comes later is dropped quietly and counted: a write racing QEMU's exit is not an error to print.
// The writes are synchronous: node-pty makes the master fd non-blocking, so a write takes what the line
// discipline has room for and returns at once, and a full pty says EAGAIN instead of blocking. An async
// write was a thread-pool round trip per command, Enter and terminal answer (a worker woken, then the
// event loop for its completion), for a copy into the kernel that takes microseconds.
import { writeSync } from 'node:fs';

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
  private retry: NodeJS.Immediate | undefined;
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
    if (this.retry) clearImmediate(this.retry);
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
        if (code === 'EAGAIN') this.retry = setImmediate(() => this.pump());
        else this.close(code ?? (error as Error).message);
        return;
      }
      this.offset += written;
      if (this.offset >= head.byteLength) {
        this.queue.shift();
        this.offset = 0;
      }
    }
  }
}
