// The raw-offset map of a piece of normalised text, as a replay from a checkpoint records it (see
// raw-offset-map.ts): flat triples [textOffset, rawEnd0, step], meaning character k (k >= textOffset, up to
// the next triple) ends at raw byte rawEnd0 + (k - textOffset) * step. step is the width in bytes of a run of
// characters that came through as they were (1 for ASCII, 2 or 3 for UTF-8 box drawing and quotes), and 0
// for a single character whose bytes say nothing about its neighbours' (decoded one byte at a time, or mapped).

export type Segments = readonly number[];

/**
 * Receives characters `from` to `to` of a piece of normalised text whose first character is number `start`
 * of the normaliser's output (see NormalizerSink), with the lone-CR offsets of the whole piece: the printk
 * splitter hands on what is left of a piece around a kernel line this way, so nothing is copied to be cut out.
 */
export interface TextRangeSink {
  textRange(text: string, from: number, to: number, start: number, loneCrs: readonly number[]): void;
  /** A BS (0x08): the only control the normaliser sends apart (a lone CR comes in the text). */
  control(code: number, rawEnd: number): void;
}

/** Raw byte offset just past character `index` of the text the segments describe. */
export function rawEndIn(segments: Segments, index: number): number {
  // The last triple starting at or before the character.
  let lo = 0;
  let hi = segments.length / 3 - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (segments[mid * 3]! <= index) lo = mid;
    else hi = mid - 1;
  }
  const s = lo * 3;
  return segments[s + 1]! + (index - segments[s]!) * segments[s + 2]!;
}
