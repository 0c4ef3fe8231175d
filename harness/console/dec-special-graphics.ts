// The DEC Special Graphics character set that text UIs (newt/whiptail/dialog, the Debian installer, GRUB
// on serial) draw their boxes with: `ESC ( 0` or `ESC ) 0` + SO selects it, and bytes 0x5f-0x7e then mean
// line-drawing pieces, not letters. Tracks which set is in use and maps a byte to what a person sees.

/** What DEC line-drawing bytes become in the normalised text. */
export type LineDrawing = 'unicode' | 'ascii' | 'letters';

/** 0x5f-0x7e in the DEC Special Graphics set, as xterm shows them. */
const unicodeByByte: Record<number, number> = {
  0x5f: 0x00a0, // blank
  0x60: 0x25c6, // ◆
  0x61: 0x2592, // ▒
  0x62: 0x2409, // ␉
  0x63: 0x240c, // ␌
  0x64: 0x240d, // ␍
  0x65: 0x240a, // ␊
  0x66: 0x00b0, // °
  0x67: 0x00b1, // ±
  0x68: 0x2424, // ␤
  0x69: 0x240b, // ␋
  0x6a: 0x2518, // ┘
  0x6b: 0x2510, // ┐
  0x6c: 0x250c, // ┌
  0x6d: 0x2514, // └
  0x6e: 0x253c, // ┼
  0x6f: 0x23ba, // ⎺
  0x70: 0x23bb, // ⎻
  0x71: 0x2500, // ─
  0x72: 0x23bc, // ⎼
  0x73: 0x23bd, // ⎽
  0x74: 0x251c, // ├
  0x75: 0x2524, // ┤
  0x76: 0x2534, // ┴
  0x77: 0x252c, // ┬
  0x78: 0x2502, // │
  0x79: 0x2264, // ≤
  0x7a: 0x2265, // ≥
  0x7b: 0x03c0, // π
  0x7c: 0x2260, // ≠
  0x7d: 0x00a3, // £
  0x7e: 0x00b7, // ·
};

// For logs read on terminals or in tools that only take ASCII: boxes become +, - and |; the rest as in Unicode.
const asciiByByte: Record<number, number> = {
  ...unicodeByByte,
  0x5f: 0x20,
  0x60: 0x2a, // *
  0x61: 0x23, // #
  ...Object.fromEntries([0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x74, 0x75, 0x76, 0x77].map((byte) => [byte, 0x2b])),
  ...Object.fromEntries([0x6f, 0x70, 0x71, 0x72, 0x73].map((byte) => [byte, 0x2d])),
  0x78: 0x7c, // |
  0x79: 0x3c, // <
  0x7a: 0x3e, // >
  0x7e: 0x2e, // .
};

const SO = 0x0e;
const SI = 0x0f;
const designateG0 = 0x28; // (
const designateG1 = 0x29; // )
const decSpecialGraphics = 0x30; // 0

/**
 * Which of G0/G1 holds DEC Special Graphics and which one is shifted in. Fed by the normaliser's escape
 * parser, so the state carries across chunks like the rest of the parser's.
 */
export class DecGraphicsState {
  private g0Graphics = false;
  private g1Graphics = false;
  private shiftedOut = false;
  private readonly table: Record<number, number> | undefined;

  constructor(lineDrawing: LineDrawing = 'unicode') {
    this.table = lineDrawing === 'unicode' ? unicodeByByte : lineDrawing === 'ascii' ? asciiByByte : undefined;
  }

  /** True while printable bytes are read in the graphics set (so they must go through `map`). */
  get active(): boolean {
    return this.table !== undefined && (this.shiftedOut ? this.g1Graphics : this.g0Graphics);
  }

  /** `ESC <intermediate> <final>`: a designation of G0 or G1 (other sets and slots are not tracked). */
  designate(intermediate: number, final: number): void {
    if (intermediate === designateG0) this.g0Graphics = final === decSpecialGraphics;
    else if (intermediate === designateG1) this.g1Graphics = final === decSpecialGraphics;
  }

  /** SO/SI; returns whether the control was one of them. */
  shift(control: number): boolean {
    if (control === SO) this.shiftedOut = true;
    else if (control === SI) this.shiftedOut = false;
    else return false;
    return true;
  }

  /** The same state in a new object (a checkpoint of the normaliser, see raw-offset-map.ts). */
  copy(): DecGraphicsState {
    const copy = Object.create(DecGraphicsState.prototype) as DecGraphicsState;
    return Object.assign(copy, this);
  }

  /** `ESC c` (full reset): both slots back to ASCII, G0 in use. */
  reset(): void {
    this.g0Graphics = false;
    this.g1Graphics = false;
    this.shiftedOut = false;
  }

  /** The character a printable code point stands for in the set in use. */
  map(codePoint: number): number {
    if (!this.active) return codePoint;
    return this.table?.[codePoint] ?? codePoint;
  }
}
