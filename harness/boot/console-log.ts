// console.txt: every normalised console line with seconds since QEMU started, kernel lines included.
// Lines are batched into one write every flushIntervalMs: a write per line cost more CPU than parsing the
// console. console.raw (written by QEMU itself) stays the loss-free record if the process dies.
import { createWriteStream, type WriteStream } from 'node:fs';

const flushIntervalMs = 250;

export class ConsoleTextLog {
  private readonly stream: WriteStream;
  private pending: string[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(path: string) {
    this.stream = createWriteStream(path, { flags: 'a', mode: 0o644 });
  }

  write(line: string, sinceStartMs: number): void {
    this.pending.push(`[${(sinceStartMs / 1000).toFixed(3).padStart(9)}] ${line}\n`);
    this.timer ??= setTimeout(() => this.flush(), flushIntervalMs).unref();
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    this.stream.write(this.pending.join(''));
    this.pending = [];
  }

  close(): Promise<void> {
    this.flush();
    return new Promise((resolve) => this.stream.end(resolve));
  }
}
