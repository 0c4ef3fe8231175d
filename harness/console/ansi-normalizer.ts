// Streaming terminal-output normaliser: raw console bytes in, printable text (with LF) and the two line
// controls that need a terminal's judgement (lone CR, BS) out. All parser state (partial escape sequences,
// partial UTF-8 characters, a CR whose meaning depends on the next byte) is carried across chunks, so the
// output does not depend on how the stream was split into reads.
// Over 300 lines: one byte-level state machine (CSI/OSC/DCS/charset escapes, UTF-8, CR) with its fast paths.
import { DecGraphicsState, type LineDrawing } from './dec-special-graphics.ts';
import { RawOffsetMap } from './raw-offset-map.ts';
import { type Segments, rawEndIn } from './text-segments.ts';

/** Receives normalised output. */
export interface NormalizerSink {
  /**
   * Printable text, LF included (`\r\n` and `\r\r\n` arrive as `\n`, and so does an erase in display that
   * ends a line: see screenErased). A lone CR (one not part of a line end: the cursor back to column 0)
   * arrives as `\n` too, its offset listed in `loneCrs` (ascending): what the match views make of it, while
   * the line log and the printk splitter look it up. `start` is the index of the first character in all the
   * text put out so far: what `rawEndOf` takes. `loneCrs` is reused after the call returns.
   */
  text(text: string, start: number, loneCrs: readonly number[]): void;
  /** A BS (0x08). */
  control(code: number, rawEnd: number): void;
}

const enum State {
  Ground,
  Escape,
  EscapeIntermediate,
  Csi,
  Osc,
  OscEscape,
  ControlString,
  ControlStringEscape,
}

/** Strings and CSI sequences longer than this are treated as garbage, so one stray ESC cannot eat the console. */
const maxSequenceChars = 4096;

const LF = 0x0a;
const CR = 0x0d;
const BS = 0x08;
const TAB = 0x09;
const ESC = 0x1b;
const BEL = 0x07;
const CAN = 0x18;
const SUB = 0x1a;
const REPLACEMENT = 0xfffd;
/** CSI J's final byte. */
const ERASE_IN_DISPLAY = 0x4a;

/**
 * Buffer#ucs2Slice without toString's encoding dispatch: the output is gathered as UTF-16 code units, so
 * making the string is a copy (V8 stores it one byte per character when all fit), where decoding UTF-8
 * took 8 % of the engine's time on console text with box drawing in it.
 */
type SlicingBuffer = { ucs2Slice(start: number, end: number): string };
const ucs2Slice = (buffer: Buffer, units: number): string => (buffer as unknown as SlicingBuffer).ucs2Slice(0, units * 2);
/** A Uint16Array is in the host's byte order and ucs2Slice reads little-endian: big-endian hosts swap first. */
const bigEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 0;

export interface AnsiNormalizerOptions {
  /** What DEC Special Graphics (box-drawing) bytes become: Unicode box drawing (default), ASCII, or the raw letters. */
  lineDrawing?: LineDrawing;
  /**
   * A checkpoint of the parser every this many raw bytes (at the start of a read; default 4096): a raw-offset
   * lookup reads at most about this much again. 1 checkpoints every read.
   */
  checkpointBytes?: number;
}

/** The parser's state between two bytes: what a replay from a checkpoint starts from (see raw-offset-map.ts). */
interface ParserState {
  state: State;
  sequenceChars: number;
  utf8CodePoint: number;
  utf8Need: number;
  utf8Min: number;
  pendingCr: boolean;
  pendingCrRawEnd: number;
  escapeIntermediate: number;
  escapeExtended: boolean;
  decGraphics: DecGraphicsState;
  lineOpen: boolean;
}

export class AnsiNormalizer {
  private state = State.Ground;
  private sequenceChars = 0;
  // UTF-8 decoder state: code point so far, continuation bytes still needed, smallest valid code point.
  private utf8CodePoint = 0;
  private utf8Need = 0;
  private utf8Min = 0;
  private rawOffset = 0;
  // A CR is held until the next output decides whether it ends a line (CR LF) or returns the cursor.
  private pendingCr = false;
  private pendingCrRawEnd = 0;
  // Output gathered over one chunk as UTF-16 code units, made a string and handed on in one text() call.
  private out = new Uint16Array(16 * 1024);
  private outBuffer = Buffer.from(this.out.buffer);
  /** Length of the output so far in UTF-16 units (the unit of text offsets). */
  private outLength = 0;
  /** Characters handed on before the output being gathered. */
  private emitted = 0;
  /**
   * The raw-offset map of the output being gathered (see text-segments.ts), kept only while replaying from
   * a checkpoint: the live parser keeps the bytes instead (rawOffsets) and works offsets out when asked.
   */
  private readonly segments: number[] = [];
  private readonly recording: boolean;
  private readonly rawOffsets: RawOffsetMap<ParserState> | undefined;
  private readonly loneCrs: number[] = [];
  private decGraphics: DecGraphicsState;
  /** The intermediate byte of the escape sequence being read (charset designations need it), or 0. */
  private escapeIntermediate = 0;
  private escapeExtended = false;
  /** Whether the output handed on so far ends inside a line: after text, or after a lone CR. */
  private lineOpen = false;

  /** @param replaying internal: a parser that reads kept bytes again from a checkpoint, recording raw offsets. */
  constructor(
    private readonly sink: NormalizerSink,
    private readonly options: AnsiNormalizerOptions = {},
    replaying = false,
  ) {
    this.decGraphics = new DecGraphicsState(options.lineDrawing);
    this.recording = replaying;
    this.rawOffsets = replaying ? undefined : new RawOffsetMap((state, rawStart, bytes, ended, textStart) => this.replay(state, rawStart, bytes, ended, textStart), options.checkpointBytes);
  }

  /** Total raw bytes consumed. */
  get bytesSeen(): number {
    return this.rawOffset;
  }

  /** Characters put out so far. */
  get textLength(): number {
    return this.emitted + this.outLength;
  }

  /**
   * Raw byte offset just past character `index` of the output (as counted by NormalizerSink's `start`), for
   * a character put out and not forgotten (see forgetBefore).
   */
  rawEndOf(index: number): number {
    if (!this.rawOffsets) throw new Error('rawEndOf is for the live parser: this one is replaying kept bytes');
    return this.rawOffsets.rawEndOf(index);
  }

  /** Characters before `index` will not be passed to rawEndOf again: the raw bytes behind them can go. */
  forgetBefore(index: number): void {
    this.rawOffsets?.forgetBefore(index);
  }

  /** The state to start a replay from (see raw-offset-map.ts). */
  checkpointState(): ParserState {
    return {
      state: this.state,
      sequenceChars: this.sequenceChars,
      utf8CodePoint: this.utf8CodePoint,
      utf8Need: this.utf8Need,
      utf8Min: this.utf8Min,
      pendingCr: this.pendingCr,
      pendingCrRawEnd: this.pendingCrRawEnd,
      escapeIntermediate: this.escapeIntermediate,
      escapeExtended: this.escapeExtended,
      decGraphics: this.decGraphics.copy(),
      lineOpen: this.lineOpen,
    };
  }

  /**
   * Reads kept bytes again from a checkpoint, this time recording where each character ends: the raw-offset
   * map of all their output, its offsets counted from the start of all output.
   */
  private replay(state: ParserState, rawStart: number, bytes: Uint8Array, ended: boolean, textStart: number): { segments: Segments; textEnd: number } {
    const segments: number[] = [];
    // One replaying parser, kept: a lookup per match should not cost a new output buffer.
    const replay = (this.replayer ??= new AnsiNormalizer(
      {
        text: (_text, start) => {
          const piece = replay.segments;
          for (let s = 0; s < piece.length; s += 3) this.replaySegments.push(piece[s]! + start, piece[s + 1]!, piece[s + 2]!);
        },
        control() {},
      },
      this.options,
      true,
    ));
    this.replaySegments = segments;
    // ParserState's fields are the parser's own, by name: the replay starts where the checkpoint was taken.
    Object.assign(replay, state, { decGraphics: state.decGraphics.copy(), rawOffset: rawStart, emitted: textStart });
    // In reads of a few KiB, so the output buffer stays small.
    for (let at = 0; at < bytes.length; at += 4096) replay.write(bytes.subarray(at, at + 4096));
    if (ended) replay.end();
    return { segments, textEnd: replay.textLength };
  }

  private replayer: AnsiNormalizer | undefined;
  /** Where the replaying parser's sink collects the map of the replay under way. */
  private replaySegments: number[] = [];

  write(chunk: Uint8Array): void {
    const base = this.rawOffset;
    this.rawOffsets?.record(chunk, this.emitted, this);
    const n = chunk.length;
    // Worst case every byte becomes one code unit (a 4-byte character becomes two).
    if (this.out.length < this.outLength + n + 8) this.growOut(n + 8);
    let i = 0;
    while (i < n) {
      // While DEC graphics are shifted in, printable bytes are not themselves: the slow path maps them.
      if (this.state === State.Ground && this.utf8Need === 0 && !this.pendingCr && !this.decGraphics.active) {
        // The fast path, without leaving the loop: on console text an escape sequence comes every ten
        // characters or so. Printable ASCII, TAB and LF are copied, whole CSI sequences skipped, CR LF and
        // CR CR LF (a tty's onlcr) made one LF, and whole 2- and 3-byte UTF-8 characters decoded. Anything
        // else (a partial sequence at the end of the read, a lone CR, other escapes and controls) stops it,
        // for the paths below. A replay records the raw-offset map as it goes, one segment per run of
        // plain characters and per other character; the live parser keeps none (see raw-offset-map.ts).
        const out = this.out;
        const recording = this.recording;
        let o = this.outLength;
        let j = i;
        // The run of plain characters being copied: from raw index runFrom, output index runOut.
        let runFrom = j;
        let runOut = o;
        while (j < n) {
          const b = chunk[j]!;
          if (b >= 0x20 && b <= 0x7e) {
            out[o++] = b;
            j++;
            continue;
          }
          if (b === LF || b === TAB) {
            out[o++] = b;
            j++;
            continue;
          }
          if (recording) {
            if (o > runOut) this.addSegmentAt(runOut, base + runFrom + 1, 1);
            runOut = o;
          }
          if (b === ESC) {
            if (j + 1 >= n || chunk[j + 1] !== 0x5b) break;
            let k = j + 2;
            while (k < n) {
              const p = chunk[k]!;
              if (p < 0x20 || p > 0x3f) break;
              k++;
            }
            if (k >= n || k - j - 2 > maxSequenceChars) break;
            const f = chunk[k]!;
            // Erase in display may end a line (screenErased): the CSI path below takes it.
            if (f < 0x40 || f > 0x7e || f === ERASE_IN_DISPLAY) break;
            j = k + 1;
          } else if (b === CR) {
            const lineEnd = j + 1 < n && chunk[j + 1] === LF ? 2 : j + 2 < n && chunk[j + 1] === CR && chunk[j + 2] === LF ? 3 : 0;
            if (lineEnd === 0) break;
            if (recording) this.addSegmentAt(o, base + j + lineEnd, 1);
            out[o++] = LF;
            j += lineEnd;
          } else if (b >= 0xe0 && b <= 0xef) {
            // A whole 3-byte UTF-8 character (box drawing, bullets, quotes), not a surrogate.
            if (j + 2 >= n) break;
            const b1 = chunk[j + 1]!;
            const b2 = chunk[j + 2]!;
            if ((b1 & 0xc0) !== 0x80 || (b2 & 0xc0) !== 0x80) break;
            const cp = ((b & 0x0f) << 12) | ((b1 & 0x3f) << 6) | (b2 & 0x3f);
            if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)) break;
            if (recording) this.addSegmentAt(o, base + j + 3, 3);
            out[o++] = cp;
            j += 3;
          } else if (b >= 0xc2 && b <= 0xdf) {
            // A whole 2-byte one; U+0080..U+009F are C1 controls, for the slow path.
            if (j + 1 >= n) break;
            const b1 = chunk[j + 1]!;
            if ((b1 & 0xc0) !== 0x80 || (b === 0xc2 && b1 < 0xa0)) break;
            if (recording) this.addSegmentAt(o, base + j + 2, 2);
            out[o++] = ((b & 0x1f) << 6) | (b1 & 0x3f);
            j += 2;
          } else {
            break;
          }
          if (recording) {
            runFrom = j;
            runOut = o;
          }
        }
        if (recording && o > runOut) this.addSegmentAt(runOut, base + runFrom + 1, 1);
        if (j > i) {
          this.outLength = o;
          i = j;
          continue;
        }
      }
      if (this.state === State.Osc && this.utf8Need === 0) {
        // Fast path through an OSC string (window titles): skip to BEL, ESC, CAN/SUB or a non-ASCII byte.
        let j = i;
        while (j < n) {
          const b = chunk[j]!;
          if (b === BEL || b === ESC || b === CAN || b === SUB || b >= 0x80) break;
          j++;
        }
        this.sequenceChars += j - i;
        i = j;
        if (this.sequenceChars > maxSequenceChars) this.state = State.Ground;
        if (i >= n) break;
      }
      if (this.utf8Need === 0) {
        // Fast path for CSI, the bulk of ANSI-heavy output: ESC [ params final, without per-byte calls.
        // A held CR stays held through it, as in the slow path (`\r\x1b[K` redraws a progress line).
        if (this.state === State.Ground && chunk[i] === ESC && i + 1 < n && chunk[i + 1] === 0x5b) {
          this.enter(State.Csi);
          i += 2;
        }
        if (this.state === State.Csi) {
          let j = i;
          while (j < n) {
            const b = chunk[j]!;
            if (b < 0x20 || b > 0x3f) break;
            j++;
          }
          this.sequenceChars += j - i;
          i = j;
          if (i < n && this.sequenceChars <= maxSequenceChars) {
            const b = chunk[i]!;
            if (b >= 0x40 && b <= 0x7e) {
              this.state = State.Ground;
              i++;
              if (b === ERASE_IN_DISPLAY) this.screenErased(base + i);
              continue;
            }
          }
          if (i >= n) break;
        }
      }
      const b = chunk[i]!;
      i++;
      this.decodeByte(b, base + i);
    }
    this.rawOffset = base + n;
    this.flush();
  }

  /** End of stream: a dangling partial UTF-8 character becomes U+FFFD; a trailing CR is dropped. */
  end(): void {
    this.rawOffsets?.end();
    if (this.utf8Need > 0) {
      this.utf8Need = 0;
      this.handle(REPLACEMENT, this.rawOffset);
    }
    this.pendingCr = false;
    this.flush();
  }

  private growOut(extra: number): void {
    const bigger = new Uint16Array(Math.max(this.out.length * 2, this.outLength + extra));
    bigger.set(this.out.subarray(0, this.outLength));
    this.out = bigger;
    this.outBuffer = Buffer.from(bigger.buffer);
  }

  /** Starts a segment at the next character, unless it continues the last run of characters of the same width. */
  private addSegment(rawEnd0: number, step: number): void {
    this.addSegmentAt(this.outLength, rawEnd0, step);
  }

  /** As addSegment, for a segment starting at output index `textOffset` (the fast path's runs). */
  private addSegmentAt(textOffset: number, rawEnd0: number, step: number): void {
    const segments = this.segments;
    const last = segments.length - 3;
    const contiguous =
      step !== 0 && last >= 0 && segments[last + 2] === step && segments[last + 1]! + (textOffset - segments[last]!) * step === rawEnd0;
    if (!contiguous) segments.push(textOffset, rawEnd0, step);
  }

  /** One decoded character (or TAB/LF), written as UTF-16. */
  private pushCodePoint(cp: number, rawEnd: number, step: 0 | 1): void {
    if (this.pendingCr) this.emitLoneCr();
    if (this.out.length < this.outLength + 2) this.growOut(2);
    if (this.recording) this.addSegment(rawEnd, step);
    if (cp < 0x10000) {
      this.out[this.outLength++] = cp;
    } else {
      this.out[this.outLength++] = 0xd800 | ((cp - 0x10000) >> 10);
      this.out[this.outLength++] = 0xdc00 | (cp & 0x3ff);
    }
  }

  /**
   * A lone CR goes out in the text, so a progress bar's redraws do not cut the text into a piece per
   * redraw for every stage after this one (each piece costs them all a call).
   */
  private emitLoneCr(): void {
    this.pendingCr = false;
    if (this.out.length < this.outLength + 3) this.growOut(3);
    if (this.recording) this.addSegment(this.pendingCrRawEnd, 1);
    this.loneCrs.push(this.outLength);
    this.out[this.outLength++] = LF;
  }

  /** Whether the output, with what is gathered for this read, ends inside a line. */
  private lineOpenNow(): boolean {
    const length = this.outLength;
    if (length === 0) return this.lineOpen;
    return this.out[length - 1] !== LF || this.loneCrs[this.loneCrs.length - 1] === length - 1;
  }

  /**
   * Erase in display (CSI J): what a bootloader or a text UI sends to clear the screen before the next
   * program writes to it. The line being written ends there, as an LF: otherwise a menu's last row (GRUB
   * leaves its cursor mid-row) and the kernel log after it read as one line, every printk line in it
   * taken for one landing mid-prompt, and the log gets the menu row only at the next real LF, seconds later.
   * A CR held before it is that line's end.
   */
  private screenErased(rawEnd: number): void {
    this.pendingCr = false;
    if (this.lineOpenNow()) this.pushCodePoint(LF, rawEnd, 1);
  }

  private flush(): void {
    if (this.outLength === 0) return;
    this.lineOpen = this.lineOpenNow();
    if (bigEndian) this.outBuffer.subarray(0, this.outLength * 2).swap16();
    const text = ucs2Slice(this.outBuffer, this.outLength);
    const start = this.emitted;
    this.emitted = start + this.outLength;
    this.outLength = 0;
    this.sink.text(text, start, this.loneCrs);
    if (this.recording) this.segments.length = 0;
    // Setting an array's length is a call into the runtime: only when there is something to clear.
    if (this.loneCrs.length > 0) this.loneCrs.length = 0;
  }

  private decodeByte(b: number, rawEnd: number): void {
    if (this.utf8Need > 0) {
      if ((b & 0xc0) === 0x80) {
        this.utf8CodePoint = (this.utf8CodePoint << 6) | (b & 0x3f);
        if (--this.utf8Need === 0) {
          const cp = this.utf8CodePoint;
          const valid = cp >= this.utf8Min && cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff);
          this.handle(valid ? cp : REPLACEMENT, rawEnd);
        }
        return;
      }
      // Truncated sequence: replace it, then read this byte afresh.
      this.utf8Need = 0;
      this.handle(REPLACEMENT, rawEnd - 1);
    }
    if (b < 0x80) {
      this.handle(b, rawEnd);
    } else if (b >= 0xc2 && b <= 0xdf) {
      this.startUtf8(b & 0x1f, 1, 0x80);
    } else if (b >= 0xe0 && b <= 0xef) {
      this.startUtf8(b & 0x0f, 2, 0x800);
    } else if (b >= 0xf0 && b <= 0xf4) {
      this.startUtf8(b & 0x07, 3, 0x10000);
    } else if (b >= 0x80 && b <= 0x9f) {
      // A lone byte that is not UTF-8: an 8-bit C1 control from a non-UTF-8 sender (e.g. 0x9b = CSI).
      this.handle(b, rawEnd);
    } else {
      this.handle(REPLACEMENT, rawEnd);
    }
  }

  private startUtf8(bits: number, need: number, min: number): void {
    this.utf8CodePoint = bits;
    this.utf8Need = need;
    this.utf8Min = min;
  }

  /** The escape-sequence state machine over decoded code points (VT500-style, simplified). */
  private handle(cp: number, rawEnd: number): void {
    switch (this.state) {
      case State.Ground:
        if (cp >= 0x20 && cp !== 0x7f && !(cp >= 0x80 && cp <= 0x9f)) {
          this.pushCodePoint(cp < 0x80 ? this.decGraphics.map(cp) : cp, rawEnd, 0);
        } else if (cp === ESC) {
          this.enter(State.Escape);
        } else if (cp >= 0x80) {
          this.c1(cp);
        } else {
          this.c0(cp, rawEnd);
        }
        return;
      case State.Escape:
        if (cp === 0x5b) this.enter(State.Csi);
        else if (cp === 0x5d) this.enter(State.Osc);
        else if (cp === 0x50 || cp === 0x58 || cp === 0x5e || cp === 0x5f) this.enter(State.ControlString);
        else if (cp >= 0x20 && cp <= 0x2f) {
          this.enter(State.EscapeIntermediate);
          this.escapeIntermediate = cp;
          this.escapeExtended = false;
        } else if (cp >= 0x30 && cp <= 0x7e) {
          if (cp === 0x63) this.decGraphics.reset(); // ESC c: full reset
          this.state = State.Ground;
        } else if (cp === ESC) this.enter(State.Escape);
        else if (cp < 0x20) this.c0InSequence(cp, rawEnd);
        else this.state = State.Ground;
        return;
      case State.EscapeIntermediate:
        if (cp >= 0x30 && cp <= 0x7e) {
          // A second intermediate (ESC ( % 5) names some other set: the slot still stops being DEC graphics.
          this.decGraphics.designate(this.escapeIntermediate, this.escapeExtended ? -1 : cp);
          this.state = State.Ground;
        } else if (cp >= 0x20 && cp <= 0x2f) this.escapeExtended = true;
        else if (cp === ESC) this.enter(State.Escape);
        else if (cp < 0x20) this.c0InSequence(cp, rawEnd);
        else if (cp > 0x7e) this.state = State.Ground;
        return;
      case State.Csi:
        if (cp >= 0x40 && cp <= 0x7e) {
          this.state = State.Ground;
          if (cp === ERASE_IN_DISPLAY) this.screenErased(rawEnd);
        } else if (cp === ESC) this.enter(State.Escape);
        else if (cp < 0x20) this.c0InSequence(cp, rawEnd);
        else if (cp > 0x7e || ++this.sequenceChars > maxSequenceChars) this.state = State.Ground;
        return;
      case State.Osc:
        if (cp === BEL || cp === 0x9c || cp === CAN || cp === SUB) this.state = State.Ground;
        else if (cp === ESC) this.state = State.OscEscape;
        else if (++this.sequenceChars > maxSequenceChars) this.state = State.Ground;
        return;
      case State.ControlString:
        if (cp === 0x9c || cp === CAN || cp === SUB) this.state = State.Ground;
        else if (cp === ESC) this.state = State.ControlStringEscape;
        else if (++this.sequenceChars > maxSequenceChars) this.state = State.Ground;
        return;
      case State.OscEscape:
      case State.ControlStringEscape:
        // ESC \ is ST; any other ESC ends the string and starts a new sequence.
        if (cp === 0x5c) {
          this.state = State.Ground;
        } else {
          this.state = State.Escape;
          this.handle(cp, rawEnd);
        }
        return;
    }
  }

  private enter(state: State): void {
    this.state = state;
    this.sequenceChars = 0;
  }

  private c0(cp: number, rawEnd: number): void {
    if (cp === LF) {
      // CR LF and CR CR LF are one line end.
      this.pendingCr = false;
      this.pushCodePoint(LF, rawEnd, 1);
    } else if (cp === CR) {
      this.pendingCr = true;
      this.pendingCrRawEnd = rawEnd;
    } else if (cp === BS) {
      if (this.pendingCr) this.emitLoneCr();
      this.flush();
      this.sink.control(BS, rawEnd);
    } else if (cp === TAB) {
      this.pushCodePoint(TAB, rawEnd, 1);
    } else {
      // SO/SI switch the character set; other C0 controls (BEL, NUL, ...) have no place in the text.
      this.decGraphics.shift(cp);
    }
  }

  /** C0 controls inside CSI/ESC sequences are executed by real terminals; CAN/SUB cancel the sequence. */
  private c0InSequence(cp: number, rawEnd: number): void {
    if (cp === CAN || cp === SUB) this.state = State.Ground;
    else this.c0(cp, rawEnd);
  }

  private c1(cp: number): void {
    if (cp === 0x9b) this.enter(State.Csi);
    else if (cp === 0x9d) this.enter(State.Osc);
    else if (cp === 0x90 || cp === 0x98 || cp === 0x9e || cp === 0x9f) this.enter(State.ControlString);
    // Other C1 controls (IND, NEL, ST without a string, ...) are dropped.
  }
}
