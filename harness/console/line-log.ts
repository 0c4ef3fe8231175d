// Assembles normalised output into lines the way a terminal shows them (CR returns to column 0 and
// overwrites, BS steps back) for the console log, error tails and failure detection.
import type { NormalizerSink } from './ansi-normalizer.ts';
import { RawCursor, type Segments } from './text-segments.ts';

/** A line longer than this is cut, so a stream without newlines cannot grow one line without bound. */
const maxLineChars = 16_384;

export class LineLog implements NormalizerSink {
  private line = '';
  private column = 0;
  /** No write has landed anywhere but at the end of the current line (no CR or BS overwrite). */
  private appendOnly = true;
  /** The screen passed every piece of the current line so far. */
  private lineScreened = true;
  private recent: string[] = [];
  private readonly cursor = new RawCursor([]);

  constructor(
    /** `screened`: the screen was given a text holding this line whole and found nothing in it. */
    private readonly onLine: (line: string, rawEnd: number, screened: boolean) => void,
    private readonly keepLines = 200,
    /**
     * Looks at a whole piece of text and says whether nothing in it can matter, nor in anything that runs into
     * it from `carried` (the unfinished line before it, already screened), so its lines need no look of
     * their own: one search per piece instead of one per line.
     */
    private readonly screen: (carried: string, text: string) => boolean = () => false,
  ) {}

  text(text: string, segments: Segments): void {
    let from = 0;
    const raw = this.cursor.reset(segments);
    let lf = text.indexOf('\n');
    // Each line completed below lies in what is screened (the first one with its start, screened before),
    // unless an overwrite made it up. A piece that ends no line is not screened: its line gets a look of
    // its own when it ends (with serial-sized reads, most pieces; one screen each would cost more than that).
    const clean = lf !== -1 && this.screen(this.lineScreened ? this.line : '', text);
    let screened = clean && this.lineScreened;
    for (;; lf = text.indexOf('\n', from)) {
      const piece = lf === -1 ? (from === 0 ? text : text.slice(from)) : text.slice(from, lf);
      if (piece.length > 0) this.write(piece);
      if (lf === -1) {
        this.lineScreened = screened;
        if (this.line.length > maxLineChars) this.complete(raw.rawEndAt(text.length - 1));
        return;
      }
      this.complete(raw.rawEndAt(lf), screened && this.appendOnly);
      screened = clean;
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
    this.onLine(line, rawEnd, false);
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
      this.appendOnly = false;
      this.line = this.line.slice(0, this.column) + piece + this.line.slice(this.column + piece.length);
    }
    this.column += piece.length;
  }

  private complete(rawEnd: number, screened = false): void {
    const line = this.line;
    this.line = '';
    this.column = 0;
    this.appendOnly = true;
    this.remember(line);
    this.onLine(line, rawEnd, screened);
  }

  private remember(line: string): void {
    this.recent.push(line);
    if (this.recent.length > this.keepLines * 2) this.recent = this.recent.slice(-this.keepLines);
  }
}
