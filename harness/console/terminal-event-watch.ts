// Watches raw console bytes for the two things that need a terminal emulator at once: a query the guest
// waits to have answered (cursor position, device attributes, mode and colour reports), and absolute cursor
// placement (a text UI, whose screen is what a person reads). The screen view starts its emulator on either;
// until then it only keeps the bytes. Plain text costs one native indexOf per read; only escape sequences are
// looked at byte by byte.

export interface TerminalEvents {
  /** A sequence a terminal answers (CSI n/c/x/t, DECRQM, an OSC query, DCS, ESC Z). */
  query: boolean;
  /** Absolute cursor placement (CSI H, f or d), as screen-view.ts watches for in the emulator. */
  cursorAddressed: boolean;
}

const ESC = 0x1b;
const BEL = 0x07;

// Parser states; `Text` is an OSC, DCS, APC, PM or SOS string, up to BEL or ST (ESC \).
const State = { Ground: 0, Escape: 1, Csi: 2, Text: 3, TextEscape: 4 } as const;
/** OSC 0, 1 and 2 set the window and icon titles: nothing to answer, and nothing moves on the screen. */
export const titleOscs: ReadonlySet<string> = new Set(['0', '1', '2']);

export class TerminalEventWatch {
  private state: number = State.Ground;
  private csiDollar = false;
  private textIsQuery = false;
  /** The OSC number (the bytes up to the first `;`), to tell a title (0, 1, 2) from a query. */
  private textStart = '';
  private textDecided = false;
  private textKind = 0;

  /** Scans `chunk`; what it saw is OR-ed into `into` (so no object is made per chunk). */
  scan(chunk: Uint8Array, into: TerminalEvents): void {
    for (let at = 0; at < chunk.length; at++) {
      if (this.state === State.Ground) {
        // Text between sequences is skipped natively: the byte loop runs over escape sequences only.
        at = chunk.indexOf(ESC, at);
        if (at === -1) return;
        this.state = State.Escape;
        continue;
      }
      const byte = chunk[at]!;
      switch (this.state) {
        case State.Escape:
          this.escape(byte, into);
          break;
        case State.Csi:
          if (byte >= 0x40 && byte <= 0x7e) {
            this.state = State.Ground;
            this.csiFinal(byte, into);
          } else if (byte === 0x24) {
            this.csiDollar = true;
          } else if (byte === ESC) {
            this.state = State.Escape;
          } else if (byte === 0x18 || byte === 0x1a) {
            // CAN and SUB cancel the sequence; other C0 controls act inside it without ending it.
            this.state = State.Ground;
          }
          break;
        case State.Text:
          if (byte === BEL) this.endText(into);
          else if (byte === ESC) this.state = State.TextEscape;
          else this.textByte(byte);
          break;
        case State.TextEscape:
          // ST is ESC \; any other ESC ends the string too and starts a new sequence.
          this.endText(into);
          if (byte !== 0x5c) {
            this.state = State.Escape;
            this.escape(byte, into);
          }
          break;
      }
    }
  }

  private escape(byte: number, into: TerminalEvents): void {
    switch (byte) {
      case 0x5b: // [
        this.state = State.Csi;
        this.csiDollar = false;
        return;
      case 0x5d: // ] OSC
      case 0x50: // P DCS
      case 0x5f: // _ APC
      case 0x5e: // ^ PM
      case 0x58: // X SOS
        this.state = State.Text;
        this.textKind = byte;
        this.textStart = '';
        this.textDecided = false;
        // Every DCS is taken for a query (DECRQSS, XTGETTCAP); an OSC only when it asks (`?`) or is not a title.
        this.textIsQuery = byte === 0x50;
        return;
      case 0x5a: // Z: DECID, answered like device attributes
        into.query = true;
        this.state = State.Ground;
        return;
      case ESC:
        return;
      default:
        // Intermediates (ESC ( B, ESC # 8) are followed by one more byte, which is harmless to read as ground.
        this.state = State.Ground;
    }
  }

  private csiFinal(byte: number, into: TerminalEvents): void {
    switch (byte) {
      case 0x48: // H
      case 0x66: // f
      case 0x64: // d
        into.cursorAddressed = true;
        return;
      case 0x6e: // n: DSR
      case 0x63: // c: DA
      case 0x78: // x: DECREQTPARM
      case 0x74: // t: window reports
        into.query = true;
        return;
      case 0x70: // p: DECRQM when after `$`
        if (this.csiDollar) into.query = true;
        return;
    }
  }

  private textByte(byte: number): void {
    if (this.textIsQuery || this.textDecided || this.textKind !== 0x5d) return;
    if (byte === 0x3b) {
      // OSC 0, 1 and 2 set titles; any other numbered OSC may be answered (colours, clipboard): a query.
      this.textDecided = true;
      if (!titleOscs.has(this.textStart)) this.textIsQuery = true;
    } else if (byte === 0x3f) {
      this.textIsQuery = true;
    } else if (this.textStart.length < 8) {
      this.textStart += String.fromCharCode(byte);
    }
  }

  private endText(into: TerminalEvents): void {
    if (this.textIsQuery) into.query = true;
    this.state = State.Ground;
  }
}
