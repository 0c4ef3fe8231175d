// console.txt: every normalised console line with seconds since QEMU started, kernel lines included.
import { createWriteStream, type WriteStream } from 'node:fs';

export class ConsoleTextLog {
  private readonly stream: WriteStream;

  constructor(path: string) {
    this.stream = createWriteStream(path, { flags: 'a', mode: 0o644 });
  }

  write(line: string, sinceStartMs: number): void {
    this.stream.write(`[${(sinceStartMs / 1000).toFixed(3).padStart(9)}] ${line}\n`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(resolve));
  }
}
