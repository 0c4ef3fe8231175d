// Assembles normalised output into lines the way a terminal shows them (CR returns to column 0 and
// overwrites, BS steps back) for the console log, error tails and failure detection.
import { RecentLines } from './recent-lines.ts';
import type { TextRangeSink } from './text-segments.ts';

/** A line longer than this is cut, so a stream without newlines cannot grow one line without bound. */
const maxLineChars = 16_384;

/** Whether the lines completed since the last flush (joined by LF) must each be handed to onLine. */
export type LinesWanted = (lines: string) => boolean;

/**
 * Where a line ended: the index (in the normaliser's output, see NormalizerSink) just past its last
 * character, its LF; `Infinity` for a line the end of the stream cut short.
 */
export type LineEnd = number;

export class LineLog implements TextRangeSink {
  private line = '';
  private column = 0;
  private readonly recent: RecentLines;
  // With linesWanted, completed lines wait here until flush(): entries of one line or of several joined by
  // LF (the whole lines in the middle of a piece of text, never split), with the LineEnd of each entry's
  // last line. Several lines are one run of the normaliser's output, so the ends of the others are found
  // back from it when they are wanted.
  private batch: string[] = [];
  private batchEnds: number[] = [];
  private batchLines = 0;

  /**
   * @param linesWanted when given, lines are handed over in batches: at each flush() it sees them all at once,
   *   and only when it says so do they go to onLine, one by one, in order; otherwise they are just kept for
   *   tail(). The owner flushes at the end of every read, so tail() never misses any.
   */
  constructor(
    private readonly onLine: (line: string, end: LineEnd) => void,
    keepLines = 200,
    private readonly linesWanted?: LinesWanted,
  ) {
    this.recent = new RecentLines(keepLines);
  }

  textRange(text: string, from: number, to: number, start: number, loneCrs: readonly number[]): void {
    if (loneCrs.length === 0) {
      if (to > from) this.range(text, from, to, start);
      return;
    }
    // A lone CR comes in the text (see NormalizerSink): the cursor goes back to column 0 there.
    let rangeFrom = from;
    for (const cr of loneCrs) {
      if (cr < from) continue;
      if (cr >= to) break;
      if (cr > rangeFrom) this.range(text, rangeFrom, cr, start);
      this.column = 0;
      rangeFrom = cr + 1;
    }
    if (to > rangeFrom) this.range(text, rangeFrom, to, start);
  }

  /** Characters `from` to `end` of a piece starting at `start`, holding no CR: as a piece of text of its own was before. */
  private range(text: string, from: number, end: number, start: number): void {
    let lf = text.indexOf('\n', from);
    if (lf !== -1 && lf < end) {
      // The first line continues the one being assembled (and may overwrite it after a CR or BS).
      if (lf > from) this.write(text.slice(from, lf));
      this.complete(start + lf + 1);
      from = lf + 1;
      const lastLf = this.linesWanted ? text.lastIndexOf('\n', end - 1) : -1;
      if (lastLf > lf) {
        // The lines up to the last LF are whole pieces of this text (a CR or BS would have split it): one entry.
        let lines = 1;
        for (lf = text.indexOf('\n', from); lf !== -1 && lf < lastLf; lf = text.indexOf('\n', lf + 1)) lines++;
        this.batch.push(text.slice(from, lastLf));
        this.batchEnds.push(start + lastLf + 1);
        this.batchLines += lines;
        from = lastLf + 1;
      }
      for (lf = text.indexOf('\n', from); lf !== -1 && lf < end; lf = text.indexOf('\n', from)) {
        if (lf > from) this.write(text.slice(from, lf));
        this.complete(start + lf + 1);
        from = lf + 1;
      }
    }
    if (from < end) this.write(from === 0 && end === text.length ? text : text.slice(from, end));
    if (this.line.length > maxLineChars) this.complete(start + end);
  }

  control(code: number): void {
    if (code === 0x08) this.column = Math.max(0, this.column - 1);
  }

  /** A whole line from elsewhere (a diverted kernel line); the line being assembled is left as it is. */
  addLine(line: string, end: LineEnd): void {
    this.hand(line, end);
  }

  /** Hands the batched lines over (see the constructor): to be called at the end of every read. */
  flush(): void {
    const count = this.batchLines;
    if (count === 0) return;
    const batch = this.batch;
    const ends = this.batchEnds;
    const lines = batch.length === 1 ? batch[0]! : batch.join('\n');
    this.batch = [];
    this.batchEnds = [];
    this.batchLines = 0;
    if (!this.linesWanted!(lines)) {
      this.recent.addBlock(lines, count);
      return;
    }
    for (let e = 0; e < batch.length; e++) {
      const entry = batch[e]!;
      const end = ends[e]!;
      // A line inside the entry ends just past its LF: as far before the entry's end as the LF is before the entry's.
      let from = 0;
      for (let lf = entry.indexOf('\n'); lf !== -1; lf = entry.indexOf('\n', from)) {
        const line = entry.slice(from, lf);
        this.recent.add(line);
        this.onLine(line, end - (entry.length - lf));
        from = lf + 1;
      }
      const last = from === 0 ? entry : entry.slice(from);
      this.recent.add(last);
      this.onLine(last, end);
    }
  }

  /** End of stream: an unfinished line is still a line (ending at Infinity, see LineEnd). */
  end(): void {
    if (this.line.length > 0) this.complete(Number.POSITIVE_INFINITY);
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

  private complete(end: LineEnd): void {
    const line = this.line;
    this.line = '';
    this.column = 0;
    this.hand(line, end);
  }

  private hand(line: string, end: LineEnd): void {
    if (this.linesWanted) {
      this.batch.push(line);
      this.batchEnds.push(end);
      this.batchLines++;
      return;
    }
    this.recent.add(line);
    this.onLine(line, end);
  }
}
