// Text appended to a log file in batches, every open log flushed by one shared timer with synchronous
// writes. Why: a boot's console.txt and console.cast each had their own timer and write stream, and each
// batch cost a timer wake-up and a thread-pool round trip (a worker woken, then the event loop woken for
// its completion): ~70 context switches of the main thread per boot, at 50-100 µs each on a busy VM
// (measured with strace: 144 thread-pool completions per boot, 24 of them these writes). A batch is a few
// KiB to a local file, which the page cache takes in microseconds.
// A log that cannot be opened or written is dropped, never thrown: a log must not take the boot down.
import { closeSync, openSync, writeSync } from 'node:fs';

export const appendFlushIntervalMs = 250;

const withPending = new Set<BatchedFileAppender>();
let flushTimer: NodeJS.Timeout | undefined;

function flushAll(): void {
  for (const appender of withPending) appender.flush();
}

export class BatchedFileAppender {
  private fd: number | undefined;
  private pending: string[] = [];
  /** Why the file is not being written, once an open or a write failed. */
  error: Error | undefined;

  /** `truncate`: start the file empty (otherwise append to what is there). */
  constructor(
    readonly path: string,
    options: { truncate: boolean; mode: number },
  ) {
    try {
      this.fd = openSync(path, options.truncate ? 'w' : 'a', options.mode);
    } catch (error) {
      this.error = error as Error;
    }
  }

  append(text: string): void {
    if (this.fd === undefined) return;
    this.pending.push(text);
    withPending.add(this);
    flushTimer ??= setTimeout(flushAll, appendFlushIntervalMs).unref();
  }

  /** Writes what is pending now. */
  flush(): void {
    withPending.delete(this);
    if (withPending.size === 0) {
      // Nothing left for the timer to do: no wake-up for it.
      clearTimeout(flushTimer);
      flushTimer = undefined;
    }
    if (this.fd === undefined || this.pending.length === 0) return;
    const bytes = Buffer.from(this.pending.join(''));
    this.pending = [];
    try {
      for (let written = 0; written < bytes.length; ) written += writeSync(this.fd, bytes, written);
    } catch (error) {
      this.error = error as Error;
      this.closeFile();
    }
  }

  /** Flushes and closes the file. Idempotent. */
  close(): void {
    this.flush();
    this.closeFile();
  }

  private closeFile(): void {
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch {
      // Closing a file that was written cannot lose what was written; nothing to act on.
    }
    this.fd = undefined;
  }
}
