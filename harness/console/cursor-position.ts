// Where a terminal's cursor is, followed over raw console bytes without an emulator, for as long as the
// output stays line-oriented: printable ASCII, CR, LF, BS, TAB, colours, erase-in-line, window titles and a
// few harmless modes. That is all a kernel log and a shell prompt are, and it is enough to answer the one
// query a shell asks after every prompt (busybox's line editor: cursor position, `ESC[6n`) without starting
// the emulator, whose parser then cost more than the rest of the console (screen-view.ts). Anything else
// ends the following for good and the emulator takes over. The rules are xterm.js's, checked against it
// byte for byte (tests/unit/console/cursor-position.test.ts).

import { titleOscs } from './terminal-event-watch.ts';

const ESC = 0x1b;
const BEL = 0x07;

const State = { Ground: 0, Escape: 1, Csi: 2, Charset: 3, Title: 4, TitleEscape: 5, TitleNumber: 6 } as const;

/** DEC private modes that move nothing: bracketed paste, cursor visibility and blinking, application cursor keys. */
const harmlessModes = new Set(['2004', '25', '12', '1']);
const maxParameterLength = 16;

export class CursorPosition {
  private state: number = State.Ground;
  /** 0-based; `x === columns` is xterm's pending wrap after the last column was written. */
  private x = 0;
  private y = 0;
  private parameters = '';
  private following = true;
  private readonly replies: string[] = [];

  constructor(
    readonly columns: number,
    readonly rows: number,
  ) {}

  /** False once the output did something this class does not follow; it stays false. */
  get known(): boolean {
    return this.following;
  }

  /** Cursor position reports (`ESC[row;columnR`) for the `ESC[6n` queries followed since the last call. */
  takeReplies(): string[] {
    return this.replies.splice(0);
  }

  follow(chunk: Uint8Array): void {
    if (!this.following) return;
    for (let at = 0; at < chunk.length; at++) {
      const byte = chunk[at]!;
      if (this.state === State.Ground) {
        if (byte >= 0x20 && byte < 0x7f) {
          if (this.x >= this.columns) {
            this.x = 0;
            this.lineFeed();
          }
          this.x++;
        } else if (!this.control(byte)) {
          return this.lose();
        }
        continue;
      }
      if (!this.inSequence(byte)) return this.lose();
    }
  }

  private control(byte: number): boolean {
    switch (byte) {
      case 0x0d: // CR
        this.x = 0;
        return true;
      case 0x0a: // LF, VT and FF all move down a line, leaving a pending wrap first
      case 0x0b:
      case 0x0c:
        this.x = Math.min(this.x, this.columns - 1);
        this.lineFeed();
        return true;
      case 0x08: // BS
        this.x = Math.min(this.x, this.columns - 1);
        if (this.x > 0) this.x--;
        return true;
      case 0x09: // TAB: the next stop of every eight, never past the last column; none in a pending wrap
        if (this.x < this.columns) this.x = Math.min(this.columns - 1, (Math.floor(this.x / 8) + 1) * 8);
        return true;
      case BEL:
      case 0x00:
        return true;
      case ESC:
        this.state = State.Escape;
        return true;
      default:
        return false;
    }
  }

  private inSequence(byte: number): boolean {
    switch (this.state) {
      case State.Escape:
        if (byte === 0x5b) {
          this.state = State.Csi;
          this.parameters = '';
        } else if (byte === 0x28 || byte === 0x29) {
          this.state = State.Charset; // ESC ( B and the like: a character set, the same width
        } else if (byte === 0x5d) {
          this.state = State.TitleNumber;
          this.parameters = '';
        } else {
          return false;
        }
        return true;
      case State.Charset:
        this.state = State.Ground;
        return true;
      case State.Csi:
        if (byte >= 0x30 && byte <= 0x3f) {
          this.parameters += String.fromCharCode(byte);
          return this.parameters.length <= maxParameterLength;
        }
        this.state = State.Ground;
        return byte >= 0x40 && byte <= 0x7e && this.csiFinal(byte);
      case State.TitleNumber:
        if (byte === 0x3b) {
          this.state = State.Title;
          return titleOscs.has(this.parameters);
        }
        this.parameters += String.fromCharCode(byte);
        return byte >= 0x30 && byte <= 0x39 && this.parameters.length <= maxParameterLength;
      case State.Title:
        if (byte === BEL) this.state = State.Ground;
        else if (byte === ESC) this.state = State.TitleEscape;
        return true;
      case State.TitleEscape:
        this.state = State.Ground;
        return byte === 0x5c; // ST
      default:
        return false;
    }
  }

  private csiFinal(byte: number): boolean {
    switch (byte) {
      case 0x6d: // m: colours
      case 0x4b: // K: erase in line
        return true;
      case 0x6e: // n: only the cursor position report is answered here
        if (this.parameters !== '6') return false;
        this.replies.push(`\x1b[${this.y + 1};${this.x + 1}R`);
        return true;
      case 0x68: // h, l: DEC private modes that move nothing
      case 0x6c:
        return this.parameters.startsWith('?') && this.parameters.slice(1).split(';').every((mode) => harmlessModes.has(mode));
      default:
        return false;
    }
  }

  private lineFeed(): void {
    if (this.y < this.rows - 1) this.y++;
  }

  private lose(): void {
    this.following = false;
    this.replies.length = 0;
  }
}
