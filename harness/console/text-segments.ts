// The raw-offset map that travels with a piece of normalised text: flat triples
// [textOffset, rawEnd0, step], meaning character k (k >= textOffset, up to the next triple) ends at raw
// byte rawEnd0 + (k - textOffset) * step. step is the width in bytes of a run of characters that came
// through as they were (1 for ASCII, 2 or 3 for UTF-8 box drawing and quotes), and 0 for a single character
// whose bytes say nothing about its neighbours' (decoded one byte at a time, or mapped).

export type Segments = readonly number[];

/**
 * Receives characters `from` to `to` of a piece of normalised text, with the segments and lone-CR offsets
 * of the whole piece (see NormalizerSink): the printk splitter hands on what is left of a piece around a
 * kernel line this way, so nothing is copied to be cut out.
 */
export interface TextRangeSink {
  textRange(text: string, from: number, to: number, segments: Segments, loneCrs: readonly number[]): void;
  /** A BS (0x08): the only control the normaliser sends apart (a lone CR comes in the text). */
  control(code: number, rawEnd: number): void;
}

/** Index of the triple holding character `index` (the last one starting at or before it). */
export function segmentHolding(segments: Segments, index: number): number {
  let lo = 0;
  let hi = segments.length / 3 - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (segments[mid * 3]! <= index) lo = mid;
    else hi = mid - 1;
  }
  return lo * 3;
}

/** Raw byte offset just past character `index` of the text the segments describe. */
export function rawEndIn(segments: Segments, index: number): number {
  let s = 0;
  // Segments per piece are few (one per escape sequence or non-ASCII character): a linear walk is fine,
  // and callers that walk forward use RawCursor instead.
  for (let next = 3; next < segments.length && segments[next]! <= index; next += 3) s = next;
  return segments[s + 1]! + (index - segments[s]!) * segments[s + 2]!;
}

/** Walks forward through one piece's segments, for callers that look up increasing indexes. */
export class RawCursor {
  private s = 0;
  constructor(private segments: Segments) {}

  /**
   * Starts over on another piece's segments (reusing the cursor spares an allocation per piece), for
   * indexes from `from` on (a range of the piece: the walk starts where it does, not at the piece's start).
   */
  reset(segments: Segments, from = 0): this {
    this.segments = segments;
    this.s = from === 0 ? 0 : segmentHolding(segments, from);
    return this;
  }

  rawEndAt(index: number): number {
    const segments = this.segments;
    while (this.s + 3 < segments.length && segments[this.s + 3]! <= index) this.s += 3;
    return segments[this.s + 1]! + (index - segments[this.s]!) * segments[this.s + 2]!;
  }
}
