// The last lines of the console for tail(), kept as they arrived: single lines, or blocks of whole lines
// still joined by LF (the line log's fast path), split only when tail() reads them. Most lines are never
// read, so splitting every one of them was work for nothing.

export class RecentLines {
  /** Entries oldest first: one line, or several joined by LF. */
  private entries: string[] = [];
  /** How many lines each entry holds. */
  private counts: number[] = [];
  /** Lines in all entries, including the `skipped` ones. */
  private total = 0;
  /** Leading lines of the first entry that were trimmed away (a block is cut only when read). */
  private skipped = 0;

  /** Holds at least `keepLines` lines; trims back to that many once it holds twice as many. */
  constructor(private readonly keepLines: number) {}

  add(line: string): void {
    this.push(line, 1);
  }

  /** `block` holds `lineCount` lines separated by LF (`lineCount - 1` LFs, none at its end). */
  addBlock(block: string, lineCount: number): void {
    this.push(block, lineCount);
  }

  /** The last `count` lines, followed by `current` when it is not empty; the same as slice(-count) of all kept lines. */
  tail(count: number, current: string): string[] {
    // slice(-count) for count <= 0 (or NaN) returns everything kept: read all of it then.
    const wanted = count > 0 ? count : Number.POSITIVE_INFINITY;
    const lines: string[] = current.length > 0 ? [current] : [];
    const chunks: string[][] = [];
    let have = lines.length;
    for (let e = this.entries.length - 1; e >= 0 && have < wanted; e--) {
      let entryLines = this.counts[e] === 1 ? [this.entries[e]!] : this.entries[e]!.split('\n');
      if (e === 0 && this.skipped > 0) entryLines = entryLines.slice(this.skipped);
      chunks.push(entryLines);
      have += entryLines.length;
    }
    const all: string[] = [];
    for (let c = chunks.length - 1; c >= 0; c--) for (const line of chunks[c]!) all.push(line);
    for (const line of lines) all.push(line);
    return all.slice(-count);
  }

  private push(entry: string, lineCount: number): void {
    this.entries.push(entry);
    this.counts.push(lineCount);
    this.total += lineCount;
    const keep = this.keepLines;
    let kept = this.total - this.skipped;
    // What a plain array of lines would hold after these lines one by one, trimmed to the last keepLines
    // each time it passed twice that (slice(-0) kept everything, so keepLines 0 never trimmed).
    if (keep === 0 || kept <= keep * 2) return;
    kept = keep + ((kept - (keep * 2 + 1)) % (keep + 1));
    this.skipped = this.total - kept;
    let drop = 0;
    while (drop < this.counts.length && this.counts[drop]! <= this.skipped) {
      this.skipped -= this.counts[drop]!;
      this.total -= this.counts[drop]!;
      drop++;
    }
    if (drop > 0) {
      this.entries.splice(0, drop);
      this.counts.splice(0, drop);
    }
  }
}
