// The append-only text that expect() searches, with pexpect's buffer rules: matched text is consumed,
// the search only looks back a bounded window past what was already searched (linear cost), and every
// character remembers the raw byte offset it came from.
import type { NormalizerSink } from './ansi-normalizer.ts';
import { maxMatchLength } from './pattern-length.ts';
import { SpilledText } from './spilled-text.ts';
import { type Segments, type TextRangeSink, segmentHolding } from './text-segments.ts';

/**
 * A compiled expect pattern: a literal, or a global RegExp clone with the longest text it can match
 * (undefined: unbounded, searched over the whole look-back window).
 */
export type SearchPattern = { kind: 'string'; text: string } | { kind: 'regexp'; regexp: RegExp; maxLength: number | undefined };

export interface ViewMatch {
  index: number;
  /** Absolute offset of the match start in this view. */
  start: number;
  end: number;
  matchText: string;
  groups: (string | undefined)[];
}

export function compilePattern(pattern: string | RegExp): SearchPattern {
  if (typeof pattern === 'string') return { kind: 'string', text: pattern };
  const flags = pattern.flags.replace('y', '');
  const regexp = new RegExp(pattern.source, flags.includes('g') ? flags : `${flags}g`);
  return { kind: 'regexp', regexp, maxLength: maxMatchLength(regexp) };
}

/** The recent text kept flat for bounded searches grows to this many times its need before it is cut. */
const recentSlack = 4;

export class MatchView implements NormalizerSink, TextRangeSink {
  /** Text from `windowStart` to the end; older text lives in `older`. */
  private window = '';
  private windowStart = 0;
  /** Text between `consumed` and `windowStart`, kept only to build `before`. */
  private older = new SpilledText();
  private consumedAt = 0;
  private searchedTo = 0;
  // Raw-offset map as segments: character k in [segText[s], segText[s+1]) ends at raw
  // segRaw[s] + (k - segText[s]) * segStep[s].
  private segText = new Float64Array(1024);
  private segRaw = new Float64Array(1024);
  private segStep = new Uint8Array(1024);
  private segHead = 0;
  private segCount = 0;
  /**
   * The last characters of the window, flat and short: a continuing search for bounded patterns runs
   * over this instead of the window, which grows by many small appends and would be flattened (copied
   * whole) by every search. Starts at absolute offset `recentStart`.
   */
  private recent = '';
  private recentStart = 0;
  /**
   * Whether `recent` is kept up. A view no expect is using (see markSearched) lets it go, and the next
   * search starts it again from the window: keeping it up meant a second copy of all text in that view.
   */
  private recentKept = true;
  /**
   * While the view is idle (recent not kept), text appended after `window`: the pieces as they came, not
   * concatenated. Cutting the window's head then drops whole pieces instead of flattening the window, which
   * only the view being searched needs. Joined onto `window` before anything reads it (see settleWindow).
   */
  private idleParts: string[] = [];
  private idleLength = 0;

  /** @param lookbackChars how far before already-searched text a new match may start (pexpect's searchwindowsize). */
  constructor(readonly lookbackChars = 2048) {}

  get end(): number {
    return this.windowStart + this.window.length + this.idleLength;
  }

  get consumed(): number {
    return this.consumedAt;
  }

  // A lone CR starts a new line in this view (a progress bar or a shell redrawing its line) and BS is
  // dropped: the view stays append-only, so matches do not depend on chunking. The true overwrite
  // semantics live in the line log.
  text(text: string, segments: Segments): void {
    this.textRange(text, 0, text.length, segments);
  }

  /** Characters `from` to `to` of `text`, whose segments describe all of it. */
  textRange(text: string, from: number, to: number, segments: Segments): void {
    if (to <= from) return;
    const at = this.end - from;
    const count = segments.length;
    let s = from === 0 ? 0 : segmentHolding(segments, from);
    if (s < count) {
      // The first triple is cut to start at `from`; only it can continue the last one kept: within a piece
      // the senders never leave two triples that one would describe (the normaliser merges them as it goes).
      const start0 = Math.max(segments[s]!, from);
      const raw0 = segments[s + 1]! + (start0 - segments[s]!) * segments[s + 2]!;
      const step0 = segments[s + 2]!;
      const last = this.segCount - 1;
      const continues =
        step0 !== 0 && last >= this.segHead && this.segStep[last] === step0 && this.segRaw[last]! + (at + start0 - this.segText[last]!) * step0 === raw0;
      if (this.segCount + (count - s) / 3 > this.segText.length) this.growSegments((count - s) / 3);
      const segText = this.segText;
      const segRaw = this.segRaw;
      const segStep = this.segStep;
      let n = this.segCount;
      if (!continues) {
        segText[n] = at + start0;
        segRaw[n] = raw0;
        segStep[n] = step0;
        n++;
      }
      for (s += 3; s < count && segments[s]! < to; s += 3) {
        segText[n] = at + segments[s]!;
        segRaw[n] = segments[s + 1]!;
        segStep[n] = segments[s + 2]!;
        n++;
      }
      this.segCount = n;
    }
    if (from !== 0 || to !== text.length) text = text.slice(from, to);
    if (!this.recentKept) {
      this.idleParts.push(text);
      this.idleLength += text.length;
      return;
    }
    this.window += text;
    this.recent += text;
    // Without searches (no expect pending) nothing else trims it.
    if (this.recent.length > recentSlack * this.lookbackChars) this.keepRecent(this.lookbackChars);
  }

  /** Keeps at most the last `chars` characters of `recent`. */
  private keepRecent(chars: number): void {
    const cut = this.recent.length - chars;
    if (cut <= 0) return;
    this.recent = this.recent.slice(cut);
    this.recentStart += cut;
  }

  /** The recent text never reaches before the window, so both give `\b` and `^` the same context. */
  private dropRecentBeforeWindow(): void {
    if (!this.recentKept) return;
    if (this.recentStart >= this.windowStart) return;
    this.recent = this.recent.slice(this.windowStart - this.recentStart);
    this.recentStart = this.windowStart;
  }

  /** Makes room for `more` segments at the end: drop what pruning released at the head, or grow the arrays. */
  private growSegments(more: number): void {
    const live = this.segCount - this.segHead;
    if (this.segHead > 0 && (live + more) * 2 <= this.segText.length) {
      this.segText.copyWithin(0, this.segHead, this.segCount);
      this.segRaw.copyWithin(0, this.segHead, this.segCount);
      this.segStep.copyWithin(0, this.segHead, this.segCount);
    } else {
      const size = Math.max(this.segText.length * 2, (live + more) * 2);
      const text = new Float64Array(size);
      const raw = new Float64Array(size);
      const step = new Uint8Array(size);
      text.set(this.segText.subarray(this.segHead, this.segCount));
      raw.set(this.segRaw.subarray(this.segHead, this.segCount));
      step.set(this.segStep.subarray(this.segHead, this.segCount));
      this.segText = text;
      this.segRaw = raw;
      this.segStep = step;
    }
    this.segCount = live;
    this.segHead = 0;
  }

  /** A BS: the matched text keeps what was sent (the line log composes the line a terminal shows). */
  control(): void {}

  /** Raw byte offset just past the character before absolute offset `offset`. */
  rawEndAt(offset: number): number {
    const k = offset - 1;
    if (k < 0 || this.segCount === this.segHead) return 0;
    let lo = this.segHead;
    let hi = this.segCount - 1;
    if (k < this.segText[lo]!) return this.segRaw[lo]!;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.segText[mid]! <= k) lo = mid;
      else hi = mid - 1;
    }
    return this.segRaw[lo]! + (k - this.segText[lo]!) * this.segStep[lo]!;
  }

  /** Absolute offset just past the last character that ends at or before raw byte `rawEnd` (clamped to the window). */
  offsetAtRaw(rawEnd: number): number {
    const segs = this.segCount;
    if (segs === this.segHead) return this.end;
    // Find the last segment whose first char ends at or before rawEnd.
    let lo = this.segHead;
    let hi = segs - 1;
    if (this.segRaw[lo]! > rawEnd) return Math.max(this.windowStart, this.segText[lo]!);
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.segRaw[mid]! <= rawEnd) lo = mid;
      else hi = mid - 1;
    }
    const segEnd = lo + 1 < segs ? this.segText[lo + 1]! : this.end;
    const step = this.segStep[lo]!;
    const count = step === 0 ? segEnd - this.segText[lo]! : Math.min(segEnd - this.segText[lo]!, Math.floor((rawEnd - this.segRaw[lo]!) / step) + 1);
    return this.segText[lo]! + count;
  }

  /**
   * Searches for the earliest match (then the leftmost pattern). A fresh expect searches from what is left
   * of the window after `consumed`; a continuing one only from `lookbackChars` before what it already searched.
   */
  search(patterns: readonly SearchPattern[], fresh: boolean): ViewMatch | undefined {
    // Nothing arrived since the last search found nothing (a read that was all escape sequences): the same
    // text gives the same answer.
    if (!fresh && this.searchedTo === this.end) return undefined;
    this.settleWindow();
    if (!this.recentKept) {
      this.recent = this.window;
      this.recentStart = this.windowStart;
      this.recentKept = true;
    }
    const fromAbs = fresh ? this.consumedAt : Math.max(this.consumedAt, this.searchedTo - this.lookbackChars);
    const from = Math.max(0, fromAbs - this.windowStart);
    let best: ViewMatch | undefined;
    // How far back the bounded patterns need the recent text: their longest match, plus one character
    // of context for `\b` and `^` (with `m`) at the first position they may start.
    let recentNeed = 0;
    for (let index = 0; index < patterns.length; index++) {
      const pattern = patterns[index]!;
      let found: ViewMatch | undefined;
      if (pattern.kind === 'string') {
        // A literal can only straddle the old end by its own length minus one.
        const literalFrom = fresh ? fromAbs : Math.max(fromAbs, this.searchedTo - pattern.text.length + 1);
        found = this.findLiteral(pattern.text, literalFrom, index);
        recentNeed = Math.max(recentNeed, pattern.text.length);
      } else if (!fresh && pattern.maxLength !== undefined) {
        // A match not found before either ends in the new text or ends at the old end and needed the
        // character after it (`\b`, `$` with `m`): either way it starts at most maxLength before the old end.
        const boundedFrom = Math.max(fromAbs, this.searchedTo - pattern.maxLength);
        found = this.findRegExp(pattern.regexp, boundedFrom, index);
        recentNeed = Math.max(recentNeed, pattern.maxLength + 1);
      } else {
        const regexp = pattern.regexp;
        regexp.lastIndex = from;
        const m = regexp.exec(this.window);
        if (m) found = { index, start: m.index + this.windowStart, end: m.index + m[0].length + this.windowStart, matchText: m[0], groups: m.slice(1) };
        recentNeed = this.lookbackChars + 1;
      }
      if (found && (!best || found.start < best.start)) best = found;
    }
    if (!best) {
      this.markSearched(this.end);
      if (this.recent.length > recentSlack * recentNeed) this.keepRecent(recentNeed);
    }
    return best;
  }

  /** Finds `text` at or after absolute offset `fromAbs`, in the recent text when it reaches back that far. */
  private findLiteral(text: string, fromAbs: number, index: number): ViewMatch | undefined {
    const inRecent = fromAbs >= this.recentStart;
    const at = inRecent ? this.recent.indexOf(text, fromAbs - this.recentStart) : this.window.indexOf(text, Math.max(0, fromAbs - this.windowStart));
    if (at === -1) return undefined;
    const start = at + (inRecent ? this.recentStart : this.windowStart);
    return { index, start, end: start + text.length, matchText: text, groups: [] };
  }

  /** Runs `regexp` from absolute offset `fromAbs`, over the recent text when it holds that and one character of context. */
  private findRegExp(regexp: RegExp, fromAbs: number, index: number): ViewMatch | undefined {
    const inRecent = fromAbs - 1 >= this.recentStart || this.recentStart === this.windowStart;
    const base = inRecent ? this.recentStart : this.windowStart;
    regexp.lastIndex = Math.max(0, fromAbs - base);
    const m = regexp.exec(inRecent ? this.recent : this.window);
    if (!m) return undefined;
    return { index, start: m.index + base, end: m.index + m[0].length + base, matchText: m[0], groups: m.slice(1) };
  }

  /** Text from `consumed` up to absolute offset `to`. */
  textBetweenConsumedAnd(to: number): string {
    this.settleWindow();
    const parts = this.older.length > 0 ? this.older.text() : '';
    const from = Math.max(0, this.consumedAt - this.windowStart);
    return parts + this.window.slice(from, to - this.windowStart);
  }

  /**
   * Like textBetweenConsumedAnd, but joined only when called: after a long unmatched stream that is
   * megabytes nobody may read (joining 50 MB was 4 % of the engine's time). Only the parts there now are
   * joined, whatever is added to them later.
   */
  lazyTextBetweenConsumedAnd(to: number): () => string {
    this.settleWindow();
    const older = this.older;
    const units = older.length;
    const from = Math.max(0, this.consumedAt - this.windowStart);
    const tail = this.window.slice(from, to - this.windowStart);
    return units === 0 ? () => tail : () => older.text(units) + tail;
  }

  /** Drops text up to absolute offset `to` (a match end, or everything on EOF). */
  consume(to: number): void {
    if (to <= this.consumedAt) return;
    this.settleWindow();
    this.consumedAt = to;
    this.searchedTo = Math.max(this.searchedTo, to);
    if (this.older.length > 0) this.older = new SpilledText();
    if (to > this.windowStart) {
      this.window = this.window.slice(to - this.windowStart);
      this.windowStart = to;
      this.pruneSegments();
      this.dropRecentBeforeWindow();
    }
  }

  /**
   * Marks text up to `to` as searched, and moves what is beyond the lookback out of the window. With
   * `keepBefore` false the moved text is dropped instead of kept for `before`: the console does that for
   * the view no expect is using, so a long unmatched stream is held once, not twice.
   */
  markSearched(to: number, keepBefore = true): void {
    if (to > this.searchedTo) this.searchedTo = to;
    if (!keepBefore && this.recentKept) {
      this.recentKept = false;
      this.recent = '';
    }
    const keepFrom = Math.max(this.windowStart, this.searchedTo - this.lookbackChars);
    // Move in big steps only, so the cost of slicing stays proportional to the text appended.
    if (keepFrom - this.windowStart < this.lookbackChars * 2) return;
    const cut = keepFrom - this.windowStart;
    if (keepBefore) {
      this.settleWindow();
      if (keepFrom > this.consumedAt) this.older.append(this.window.slice(Math.max(0, this.consumedAt - this.windowStart), cut));
      this.window = this.window.slice(cut);
    } else {
      // The view no expect is using: nothing is kept for before, and its window is not flattened.
      this.dropFromWindow(cut);
    }
    this.windowStart = keepFrom;
    this.pruneSegments();
    this.dropRecentBeforeWindow();
  }

  /** Joins the idle pieces onto the window, before anything reads it. */
  private settleWindow(): void {
    if (this.idleParts.length === 0) return;
    this.window += this.idleParts.join('');
    this.idleParts = [];
    this.idleLength = 0;
  }

  /** Drops the first `chars` characters of the window and the idle pieces after it (windowStart is the caller's). */
  private dropFromWindow(chars: number): void {
    if (chars < this.window.length) {
      this.window = this.window.slice(chars);
      return;
    }
    let left = chars - this.window.length;
    this.window = '';
    this.idleLength -= left;
    const parts = this.idleParts;
    let dropped = 0;
    while (dropped < parts.length && parts[dropped]!.length <= left) left -= parts[dropped++]!.length;
    if (left > 0) parts[dropped] = parts[dropped]!.slice(left);
    if (dropped > 0) parts.splice(0, dropped);
  }

  private pruneSegments(): void {
    // Keep the segment holding the character just before the window start (zero-length matches look there).
    const keepChar = this.windowStart - 1;
    let head = this.segHead;
    while (head + 1 < this.segCount && this.segText[head + 1]! <= keepChar) head++;
    this.segHead = head;
  }
}
