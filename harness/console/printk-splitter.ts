// Takes kernel log lines that land in the middle of another line (a prompt, the echo of a command) out of
// the normalised stream and hands them over whole, so `[root@pre-[    2.912345] x\r\nnixos:~]#` reads as
// `[root@pre-nixos:~]#` for matching while the log still gets the kernel line.
import type { NormalizerSink } from './ansi-normalizer.ts';
import type { TextRangeSink } from './text-segments.ts';

const enum Mode {
  Normal,
  /** Holding back a `[` and what follows while it could still be a printk timestamp. */
  Hold,
  /** Inside a kernel line, up to its LF. */
  Divert,
}

const enum HoldPhase {
  Spaces,
  Seconds,
  Micros,
}

/**
 * Reads a printk timestamp candidate starting with the `[` at `from`: the index just past its `]` when the
 * text holds all of it, minus the index of the first character that rules it out, or 0 when the text ends
 * while it could still be one. Same grammar as PrintkSplitter.advanceHold: `[`, spaces, digits, `.`, six digits, `]`.
 */
export function timestampEnd(text: string, from: number): number {
  const n = text.length;
  let i = from + 1;
  while (i < n && text.charCodeAt(i) === 0x20) i++;
  const secondsFrom = i;
  while (i < n && isDigit(text.charCodeAt(i))) i++;
  if (i >= n) return 0;
  if (i === secondsFrom || text.charCodeAt(i) !== 0x2e) return -i;
  i++;
  const microsFrom = i;
  while (i < n && i - microsFrom < 6 && isDigit(text.charCodeAt(i))) i++;
  if (i >= n) return 0;
  if (i - microsFrom < 6 || text.charCodeAt(i) !== 0x5d) return -i;
  return i + 1;
}

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

/** The lone-CR offsets of text without any (see NormalizerSink). */
const noLoneCrs: readonly number[] = [];

/**
 * A kernel timestamp is `[%5lu.%06lu]`. A printk line at the start of a line is left alone (it is a whole
 * line already, and callers wait for kernel messages such as `Linux version`); only one that starts after
 * other text on the same line is diverted, up to and including its LF.
 */
export class PrintkSplitter implements NormalizerSink {
  private mode = Mode.Normal;
  private lineHasText = false;
  private phase = HoldPhase.Spaces;
  private microDigits = 0;
  private heldText = '';
  /** Index (in the normaliser's output) of the held `[`. */
  private heldStart = 0;
  private printkLine = '';
  /** Index just past the last character of the kernel line so far. */
  private printkEnd = 0;
  /** Index of the first character of the piece being read. */
  private start = 0;

  /**
   * @param onPrintkLine gets a kernel line taken out whole, and the index (in the normaliser's output) just
   *   past its last character, its LF.
   */
  constructor(
    private readonly normal: TextRangeSink,
    private readonly onPrintkLine: (line: string, end: number) => void,
  ) {}

  text(text: string, start: number, loneCrs: readonly number[] = noLoneCrs): void {
    const n = text.length;
    this.loneCrs = loneCrs;
    this.loneCrIndex = 0;
    this.start = start;
    let i = 0;
    let emitFrom = 0;
    while (i < n) {
      if (this.mode === Mode.Normal) {
        // Find the next `[` that is not at the start of a line.
        let k = text.indexOf('[', i);
        while (k !== -1) {
          // Text before it on its line: the character before it (a lone CR comes as an LF), or what came
          // before this piece.
          const midLine = k > i ? text.charCodeAt(k - 1) !== 0x0a : this.lineHasText;
          if (midLine) break;
          this.lineHasText = true;
          i = k + 1;
          k = text.indexOf('[', i);
        }
        if (k === -1) {
          // A lone CR (an LF in the text, see NormalizerSink) starts the line over as an LF does.
          const lastBreak = text.lastIndexOf('\n', n - 1);
          if (lastBreak >= i) this.lineHasText = lastBreak < n - 1;
          else if (n > i) this.lineHasText = true;
          break;
        }
        // The `[` is mid-line, so the line has text: a kernel line that follows this one at the start of a
        // raw line still lands inside the interrupted line and is diverted too.
        this.lineHasText = true;
        // Decided here when the text holds the whole candidate: no character is held or copied one by one.
        const end = timestampEnd(text, k);
        if (end > 0) {
          this.emitRange(text, emitFrom, k);
          this.mode = Mode.Divert;
          this.printkLine = text.slice(k, end);
          this.printkEnd = start + end;
          i = emitFrom = end;
          continue;
        }
        if (end < 0) {
          // Not a timestamp: it stays in the text, and the character that ended it is read afresh.
          this.lineHasText = true;
          i = -end;
          continue;
        }
        // The text ends inside a candidate: hold it until the next piece decides.
        this.emitRange(text, emitFrom, k);
        this.mode = Mode.Hold;
        this.phase = HoldPhase.Spaces;
        this.microDigits = 0;
        this.heldText = '[';
        this.heldStart = start + k;
        i = k + 1;
        emitFrom = i;
      } else if (this.mode === Mode.Hold) {
        const c = text.charCodeAt(i);
        if (this.advanceHold(c)) {
          this.heldText += text[i];
          i++;
          emitFrom = i;
          if ((this.mode as Mode) === Mode.Divert) {
            this.printkLine = this.heldText;
            this.printkEnd = start + i;
            this.heldText = '';
          }
        } else {
          this.release();
          this.lineHasText = true;
          emitFrom = i;
        }
      } else {
        // Inside a kernel line a lone CR changes nothing that matters: it is left out, as a BS is.
        let lf = text.indexOf('\n', i);
        while (lf !== -1 && this.isLoneCr(lf)) {
          if (lf > i) this.printkEnd = start + lf;
          this.printkLine += text.slice(i, lf);
          i = lf + 1;
          lf = text.indexOf('\n', i);
        }
        const end = lf === -1 ? n : lf;
        this.printkLine += text.slice(i, end);
        if (lf === -1) {
          if (n > i) this.printkEnd = start + n;
          i = emitFrom = n;
          break;
        }
        // The interrupted line goes on after the kernel line (lineHasText stays true).
        this.mode = Mode.Normal;
        this.onPrintkLine(this.printkLine, start + lf + 1);
        this.printkLine = '';
        i = emitFrom = lf + 1;
      }
    }
    if (this.mode === Mode.Normal) this.emitRange(text, emitFrom, n);
  }

  control(code: number, rawEnd: number): void {
    if (this.mode === Mode.Hold) this.release();
    // Inside a kernel line a BS changes nothing that matters; only its LF (in the text) ends it.
    if (this.mode === Mode.Divert) return;
    this.normal.control(code, rawEnd);
  }

  /** End of stream: what is held goes through; an unfinished kernel line is still a line. */
  end(): void {
    if (this.mode === Mode.Hold) this.release();
    if (this.mode === Mode.Divert) {
      this.mode = Mode.Normal;
      this.onPrintkLine(this.printkLine, this.printkEnd);
      this.printkLine = '';
    }
  }

  private emitRange(text: string, from: number, to: number): void {
    if (to <= from) return;
    this.normal.textRange(text, from, to, this.start, this.loneCrs);
  }

  private loneCrs: readonly number[] = noLoneCrs;
  private loneCrIndex = 0;

  /** Whether the LF at `index` of the text being read stands for a lone CR (asked for increasing indexes). */
  private isLoneCr(index: number): boolean {
    const loneCrs = this.loneCrs;
    while (this.loneCrIndex < loneCrs.length && loneCrs[this.loneCrIndex]! < index) this.loneCrIndex++;
    return loneCrs[this.loneCrIndex] === index;
  }

  /** Returns whether `c` continues a printk timestamp; switches to Divert on the closing `]`. */
  private advanceHold(c: number): boolean {
    const digit = c >= 0x30 && c <= 0x39;
    switch (this.phase) {
      case HoldPhase.Spaces:
        if (c === 0x20) return true;
        if (digit) {
          this.phase = HoldPhase.Seconds;
          return true;
        }
        return false;
      case HoldPhase.Seconds:
        if (digit) return true;
        if (c === 0x2e) {
          this.phase = HoldPhase.Micros;
          return true;
        }
        return false;
      case HoldPhase.Micros:
        if (digit && this.microDigits < 6) {
          this.microDigits++;
          return true;
        }
        if (c === 0x5d && this.microDigits === 6) {
          this.mode = Mode.Divert;
          return true;
        }
        return false;
    }
  }

  /** Not a timestamp after all: the held characters go on as ordinary text, from where they were held. */
  private release(): void {
    this.mode = Mode.Normal;
    const text = this.heldText;
    this.heldText = '';
    this.lineHasText = true;
    this.normal.textRange(text, 0, text.length, this.heldStart, noLoneCrs);
  }
}
