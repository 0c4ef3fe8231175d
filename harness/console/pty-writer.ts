// Writes to a pty's master fd in order, with backpressure (EAGAIN: retry on the next turn of the event
// loop). Once the pty is closed, or a write fails for good (EBADF, EIO: the child is gone), what is left
// and what comes later is dropped quietly and counted: a write racing QEMU's exit is not an error to print.
import { write as writeToFd } from 'node:fs';

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
    const head = this.queue[0];
    if (this.closed || !head) return;
    writeToFd(this.fd, head, this.offset, head.byteLength - this.offset, null, (error, written) => {
      if (this.closed) return;
      if (error) {
        if (error.code === 'EAGAIN') this.retry = setImmediate(() => this.pump());
        else this.close(error.code ?? error.message);
        return;
      }
      this.offset += written;
      if (this.offset >= head.byteLength) {
        this.queue.shift();
        this.offset = 0;
      }
      if (this.queue.length > 0) this.pump();
    });
  }
}
