// The append-only text that expect() searches, with pexpect's buffer rules: matched text is consumed,
// the search only looks back a bounded window past what was already searched (linear cost), and every
// character remembers where it is in the normaliser's output (whose raw offsets the normaliser works out).
import type { NormalizerSink } from './ansi-normalizer.ts';
import { maxMatchLength } from './pattern-length.ts';
import { SpilledText } from './spilled-text.ts';
import type { TextRangeSink } from './text-segments.ts';

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
  // Where the characters are in the normaliser's output, as runs: character k in [runView[r], runView[r+1])
  // is number runOutput[r] + (k - runView[r]) of the output. The text only leaves gaps in it where a kernel
  // line was taken out (the filtered view), so there are few runs.
  private runView = new Float64Array(64);
  private runOutput = new Float64Array(64);
  private runHead = 0;
  private runCount = 0;
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
  text(text: string, start: number): void {
    this.textRange(text, 0, text.length, start);
  }

  /** Characters `from` to `to` of `text`, whose first character is number `start` of the normaliser's output. */
  textRange(text: string, from: number, to: number, start: number): void {
    if (to <= from) return;
    const at = this.end;
    const output = start + from;
    const last = this.runCount - 1;
    if (last < this.runHead || this.runOutput[last]! + (at - this.runView[last]!) !== output) {
      if (this.runCount === this.runView.length) this.growRuns();
      this.runView[this.runCount] = at;
      this.runOutput[this.runCount] = output;
      this.runCount++;
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

  /** Makes room for one more run: drop what pruning released at the head, or grow the arrays. */
  private growRuns(): void {
    const live = this.runCount - this.runHead;
    if (live * 2 > this.runView.length) {
      const view = new Float64Array(this.runView.length * 2);
      const output = new Float64Array(this.runView.length * 2);
      view.set(this.runView.subarray(this.runHead, this.runCount));
      output.set(this.runOutput.subarray(this.runHead, this.runCount));
      this.runView = view;
      this.runOutput = output;
    } else {
      this.runView.copyWithin(0, this.runHead, this.runCount);
      this.runOutput.copyWithin(0, this.runHead, this.runCount);
    }
    this.runCount = live;
    this.runHead = 0;
  }

  /** A BS: the matched text keeps what was sent (the line log composes the line a terminal shows). */
  control(): void {}

  /** The run holding character `k` (one at or after the first kept character). */
  private runHolding(k: number): number {
    let lo = this.runHead;
    let hi = this.runCount - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.runView[mid]! <= k) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /**
   * Where absolute offset `offset` is in the normaliser's output: the index just past the character before
   * it (0 before the first character).
   */
  outputEndAt(offset: number): number {
    const k = offset - 1;
    if (k < 0 || this.runCount === this.runHead) return 0;
    const r = this.runHolding(k);
    return this.runOutput[r]! + Math.max(0, k - this.runView[r]!) + 1;
  }

  /**
   * Absolute offset just past the last character that comes before index `outputEnd` of the normaliser's
   * output (clamped to the window).
   */
  offsetAtOutput(outputEnd: number): number {
    if (this.runCount === this.runHead) return this.end;
    let lo = this.runHead;
    let hi = this.runCount - 1;
    if (this.runOutput[lo]! >= outputEnd) return Math.max(this.windowStart, this.runView[lo]!);
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.runOutput[mid]! < outputEnd) lo = mid;
      else hi = mid - 1;
    }
    const runEnd = lo + 1 < this.runCount ? this.runView[lo + 1]! : this.end;
    return this.runView[lo]! + Math.min(runEnd - this.runView[lo]!, outputEnd - this.runOutput[lo]!);
  }

  /** The first character of the normaliser's output this view may still ask about (see outputEndAt), or Infinity. */
  firstOutputNeeded(): number {
    if (this.runCount === this.runHead) return Number.POSITIVE_INFINITY;
    const k = Math.max(0, this.windowStart - 1);
    const r = this.runHolding(k);
    return this.runOutput[r]! + Math.max(0, k - this.runView[r]!);
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
      this.pruneRuns();
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
    this.pruneRuns();
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

  private pruneRuns(): void {
    // Keep the run holding the character just before the window start (zero-length matches look there).
    const keepChar = this.windowStart - 1;
    let head = this.runHead;
    while (head + 1 < this.runCount && this.runView[head + 1]! <= keepChar) head++;
    this.runHead = head;
  }
}
