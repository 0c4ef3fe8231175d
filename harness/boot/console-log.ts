// console.txt: every normalised console line with seconds since QEMU started, kernel lines included.
// Lines are written in batches (batched-file-appender.ts): a write per line cost more CPU than parsing the
// console. console.raw (written by QEMU itself) stays the loss-free record if the process dies.
import { BatchedFileAppender } from '../util/batched-file-appender.ts';

export class ConsoleTextLog {
  private readonly file: BatchedFileAppender;

  constructor(path: string) {
    this.file = new BatchedFileAppender(path, { truncate: false, mode: 0o644 });
  }

  write(line: string, sinceStartMs: number): void {
    this.file.append(`[${(sinceStartMs / 1000).toFixed(3).padStart(9)}] ${line}\n`);
  }

  close(): Promise<void> {
    this.file.close();
    return Promise.resolve();
  }
}
