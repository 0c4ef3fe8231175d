// Streaming terminal-output normaliser: raw console bytes in, printable text and line controls out.
// All parser state (partial escape sequences, partial UTF-8 characters) is carried across chunks, so
// the output does not depend on how the stream was split into reads.

/** Receives normalised output. Every character carries the raw byte offset just past its last byte. */
export interface NormalizerSink {
  /**
   * Printable text. Character `i` ends at raw byte `rawEnd0 + i * step`: `step` is 1 for runs of ASCII
   * (one byte per character) and 0 for a single decoded character (one or two UTF-16 units).
   */
  text(text: string, rawEnd0: number, step: 0 | 1): void;
  /** A line control the views interpret: LF (0x0a), CR (0x0d) or BS (0x08). */
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
const ESC = 0x1b;
const BEL = 0x07;
const CAN = 0x18;
const SUB = 0x1a;
const REPLACEMENT = 0xfffd;

export class AnsiNormalizer {
  private state = State.Ground;
  private sequenceChars = 0;
  // UTF-8 decoder state: code point so far, continuation bytes still needed, bytes consumed so far.
  private utf8CodePoint = 0;
  private utf8Need = 0;
  private utf8Have = 0;
  private utf8Min = 0;
  private rawOffset = 0;

  constructor(private readonly sink: NormalizerSink) {}

  /** Total raw bytes consumed. */
  get bytesSeen(): number {
    return this.rawOffset;
  }

  write(chunk: Uint8Array): void {
    const base = this.rawOffset;
    const n = chunk.length;
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let i = 0;
    while (i < n) {
      if (this.state === State.Ground && this.utf8Need === 0) {
        // Fast path: a run of printable ASCII maps one byte to one character.
        let j = i;
        while (j < n) {
          const b = chunk[j]!;
          if (b < 0x20 || b > 0x7e) break;
          j++;
        }
        if (j > i) {
          this.sink.text(buffer.toString("latin1", i, j), base + i + 1, 1);
          i = j;
          continue;
        }
      }
      const b = chunk[i]!;
      i++;
      this.decodeByte(b, base + i);
    }
    this.rawOffset = base + n;
  }

  /** Flushes a dangling partial UTF-8 character at the end of the stream. */
  end(): void {
    if (this.utf8Need > 0) {
      this.utf8Need = 0;
      this.handle(REPLACEMENT, this.rawOffset);
    }
  }

  private decodeByte(b: number, rawEnd: number): void {
    if (this.utf8Need > 0) {
      if ((b & 0xc0) === 0x80) {
        this.utf8CodePoint = (this.utf8CodePoint << 6) | (b & 0x3f);
        this.utf8Have++;
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
    this.utf8Have = 1;
    this.utf8Min = min;
  }

  /** The escape-sequence state machine over decoded code points (VT500-style, simplified). */
  private handle(cp: number, rawEnd: number): void {
    switch (this.state) {
      case State.Ground:
        if (cp >= 0x20 && cp !== 0x7f && !(cp >= 0x80 && cp <= 0x9f)) {
          this.sink.text(String.fromCodePoint(cp), rawEnd, 0);
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
        else if (cp >= 0x20 && cp <= 0x2f) this.enter(State.EscapeIntermediate);
        else if (cp >= 0x30 && cp <= 0x7e) this.state = State.Ground;
        else if (cp === ESC) this.enter(State.Escape);
        else if (cp < 0x20) this.c0InSequence(cp, rawEnd);
        else this.state = State.Ground;
        return;
      case State.EscapeIntermediate:
        if (cp >= 0x30 && cp <= 0x7e) this.state = State.Ground;
        else if (cp === ESC) this.enter(State.Escape);
        else if (cp < 0x20) this.c0InSequence(cp, rawEnd);
        else if (cp > 0x7e) this.state = State.Ground;
        return;
      case State.Csi:
        if (cp >= 0x40 && cp <= 0x7e) this.state = State.Ground;
        else if (cp === ESC) this.enter(State.Escape);
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
    if (cp === LF || cp === CR || cp === BS) this.sink.control(cp, rawEnd);
    else if (cp === 0x09) this.sink.text('\t', rawEnd, 0);
    // Other C0 controls (BEL, NUL, SI/SO, ...) have no place in the text.
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
