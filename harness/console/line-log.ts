// Assembles normalised output into lines the way a terminal shows them (CR returns to column 0 and
// overwrites, BS steps back) for the console log, error tails and failure detection.
import type { NormalizerSink } from './ansi-normalizer.ts';
import { RecentLines } from './recent-lines.ts';
import { RawCursor, type Segments, type TextRangeSink } from './text-segments.ts';

/** A line longer than this is cut, so a stream without newlines cannot grow one line without bound. */
const maxLineChars = 16_384;

/** Whether the lines completed since the last flush (joined by LF) must each be handed to onLine. */
export type LinesWanted = (lines: string) => boolean;

export class LineLog implements NormalizerSink, TextRangeSink {
  private line = '';
  private column = 0;
  private readonly recent: RecentLines;
  private readonly cursor = new RawCursor([]);
  // With linesWanted, completed lines wait here until flush(): entries of one line or of several joined by
  // LF (the whole lines in the middle of a piece of text, never split), and the raw end of every line.
  private batch: string[] = [];
  private batchRawEnds: number[] = [];

  /**
   * @param linesWanted when given, lines are handed over in batches: at each flush() it sees them all at once,
   *   and only when it says so do they go to onLine, one by one, in order; otherwise they are just kept for
   *   tail(). The owner flushes at the end of every read, so tail() never misses any.
   */
  constructor(
    private readonly onLine: (line: string, rawEnd: number) => void,
    keepLines = 200,
    private readonly linesWanted?: LinesWanted,
  ) {
    this.recent = new RecentLines(keepLines);
  }

  text(text: string, segments: Segments, loneCrs: readonly number[] = []): void {
    this.textRange(text, 0, text.length, segments, loneCrs);
  }

  textRange(text: string, from: number, to: number, segments: Segments, loneCrs: readonly number[]): void {
    const raw = this.cursor.reset(segments, from);
    if (loneCrs.length === 0) {
      if (to > from) this.range(text, from, to, raw);
      return;
    }
    // A lone CR comes in the text (see NormalizerSink): the cursor goes back to column 0 there.
    let start = from;
    for (const cr of loneCrs) {
      if (cr < from) continue;
      if (cr >= to) break;
      if (cr > start) this.range(text, start, cr, raw);
      this.column = 0;
      start = cr + 1;
    }
    if (to > start) this.range(text, start, to, raw);
  }

  /** Text from `start` to `end`, which holds no CR: as a piece of text of its own was before. */
  private range(text: string, start: number, end: number, raw: RawCursor): void {
    let from = start;
    let lf = text.indexOf('\n', start);
    if (lf !== -1 && lf < end) {
      // The first line continues the one being assembled (and may overwrite it after a CR or BS).
      if (lf > start) this.write(text.slice(start, lf));
      this.complete(raw.rawEndAt(lf));
      from = lf + 1;
      const lastLf = this.linesWanted ? text.lastIndexOf('\n', end - 1) : -1;
      if (lastLf > lf) {
        // The lines up to the last LF are whole pieces of this text (a CR or BS would have split it): one entry.
        for (lf = text.indexOf('\n', from); lf !== -1 && lf <= lastLf; lf = text.indexOf('\n', lf + 1)) this.batchRawEnds.push(raw.rawEndAt(lf));
        this.batch.push(text.slice(from, lastLf));
        from = lastLf + 1;
      }
      for (lf = text.indexOf('\n', from); lf !== -1 && lf < end; lf = text.indexOf('\n', from)) {
        if (lf > from) this.write(text.slice(from, lf));
        this.complete(raw.rawEndAt(lf));
        from = lf + 1;
      }
    }
    if (from < end) this.write(from === 0 && end === text.length ? text : text.slice(from, end));
    if (this.line.length > maxLineChars) this.complete(raw.rawEndAt(end - 1));
  }

  control(code: number): void {
    if (code === 0x08) this.column = Math.max(0, this.column - 1);
  }

  /** A whole line from elsewhere (a diverted kernel line); the line being assembled is left as it is. */
  addLine(line: string, rawEnd: number): void {
    this.hand(line, rawEnd);
  }

  /** Hands the batched lines over (see the constructor): to be called at the end of every read. */
  flush(): void {
    const count = this.batchRawEnds.length;
    if (count === 0) return;
    const lines = this.batch.length === 1 ? this.batch[0]! : this.batch.join('\n');
    const rawEnds = this.batchRawEnds;
    this.batch = [];
    this.batchRawEnds = [];
    if (!this.linesWanted!(lines)) {
      this.recent.addBlock(lines, count);
      return;
    }
    const split = lines.split('\n');
    for (let i = 0; i < count; i++) {
      this.recent.add(split[i]!);
      this.onLine(split[i]!, rawEnds[i]!);
    }
  }

  /** End of stream: an unfinished line is still a line. */
  end(rawEnd: number): void {
    if (this.line.length > 0) this.complete(rawEnd);
    this.flush();
  }

  /** The last `count` lines, including the one still being written. */
  tail(count: number): string[] {
    return this.recent.tail(count, this.line);
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
    this.hand(line, rawEnd);
  }

  private hand(line: string, rawEnd: number): void {
    if (this.linesWanted) {
      this.batch.push(line);
      this.batchRawEnds.push(rawEnd);
      return;
    }
    this.recent.add(line);
    this.onLine(line, rawEnd);
  }
}
