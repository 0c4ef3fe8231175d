// Assembles normalised output into lines the way a terminal shows them (CR returns to column 0 and
// overwrites, BS steps back) for the console log, error tails and failure detection.
import type { NormalizerSink } from './ansi-normalizer.ts';
import { RawCursor, type Segments } from './text-segments.ts';

/** A line longer than this is cut, so a stream without newlines cannot grow one line without bound. */
const maxLineChars = 16_384;

export class LineLog implements NormalizerSink {
  private line = '';
  private column = 0;
  private recent: string[] = [];
  private readonly cursor = new RawCursor([]);

  constructor(
    private readonly onLine: (line: string, rawEnd: number) => void,
    private readonly keepLines = 200,
  ) {}

  text(text: string, segments: Segments): void {
    let from = 0;
    const raw = this.cursor.reset(segments);
    for (;;) {
      const lf = text.indexOf('\n', from);
      const piece = lf === -1 ? (from === 0 ? text : text.slice(from)) : text.slice(from, lf);
      if (piece.length > 0) this.write(piece);
      if (lf === -1) {
        if (this.line.length > maxLineChars) this.complete(raw.rawEndAt(text.length - 1));
        return;
      }
      this.complete(raw.rawEndAt(lf));
      from = lf + 1;
    }
  }

  control(code: number): void {
    if (code === 0x0d) this.column = 0;
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

  private write(piece: string): void {
    if (this.column === this.line.length) {
      this.line += piece;
    } else {
      this.line = this.line.slice(0, this.column) + piece + this.line.slice(this.column + piece.length);
    }
    this.column += piece.length;
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
    if (this.recent.length > this.keepLines * 2) this.recent = this.recent.slice(-this.keepLines);
  }
}
