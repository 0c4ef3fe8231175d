// Assembles normalised output into lines the way a terminal shows them (CR returns to column 0 and
// overwrites, BS steps back) for the console log, error tails and failure detection.
import type { NormalizerSink } from './ansi-normalizer.ts';

/** A line longer than this is cut, so a stream without newlines cannot grow one line without bound. */
const maxLineChars = 16_384;

export class LineLog implements NormalizerSink {
  private line = '';
  private column = 0;
  private readonly recent: string[] = [];

  constructor(
    private readonly onLine: (line: string, rawEnd: number) => void,
    private readonly keepLines = 200,
  ) {}

  text(text: string, rawEnd0: number, step: 0 | 1): void {
    if (this.column === this.line.length) {
      this.line += text;
    } else {
      this.line = this.line.slice(0, this.column) + text + this.line.slice(this.column + text.length);
    }
    this.column += text.length;
    if (this.line.length > maxLineChars) this.complete(rawEnd0 + (text.length - 1) * step);
  }

  control(code: number, rawEnd: number): void {
    if (code === 0x0a) this.complete(rawEnd);
    else if (code === 0x0d) this.column = 0;
    else if (code === 0x08) this.column = Math.max(0, this.column - 1);
  }

  /** A whole line from elsewhere (a diverted kernel line); the line being assembled is left as it is. */
  addLine(line: string, rawEnd: number): void {
    this.remember(line);
    this.onLine(line, rawEnd);
  }

  /** End of stream: an unfinished line is still a line. */
  end(rawEnd: number): void {
    if (this.line.length > 0) this.complete(rawEnd);
  }

  /** The last `count` lines, including the one still being written. */
  tail(count: number): string[] {
    const lines = this.line.length > 0 ? [...this.recent, this.line] : [...this.recent];
    return lines.slice(-count);
  }

  private complete(rawEnd: number): void {
    const line = this.line;
    this.line = '';
    this.column = 0;
    this.remember(line);
    this.onLine(line, rawEnd);
  }

  private remember(line: string): void {
    this.recent.push(line);
    if (this.recent.length > this.keepLines * 2) this.recent.splice(0, this.recent.length - this.keepLines);
  }
}
