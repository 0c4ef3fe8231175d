// Pure: what the VGA registers say about the display (text or graphics, geometry, start, cursor) and the
// text of a text-mode screen from its video memory (character/attribute pairs, code page 437).

/** The register values the decoding needs, read from the emulated card (see vga-screen.ts). */
export interface VgaRegisters {
  /** Miscellaneous output (0x3cc): bit 0 picks colour (0x3d4) or mono (0x3b4) CRTC ports. */
  miscOutput: number;
  /** Graphics controller misc (GR06): bit 0 graphics mode, bits 2-3 the memory window. */
  graphicsMisc: number;
  /** Bochs VBE enable (index 4 of 0x1ce/0x1cf), 0 when the card has no VBE. */
  vbeEnable: number;
  /** CRTC registers 0x00-0x18. */
  crtc: readonly number[];
}

export type VgaDisplayMode =
  | {
      kind: 'text';
      columns: number;
      rows: number;
      /** Guest-physical address of the first visible character (video memory window + 2 × start address). */
      firstCellAddress: number;
      /** Characters from one row's start to the next's (the CRTC offset register, which can exceed `columns`). */
      cellsPerRow: number;
      cursor: { row: number; column: number; visible: boolean };
    }
  | { kind: 'graphics'; reason: string };

const memoryWindows = [0xa0000, 0xa0000, 0xb0000, 0xb8000];

export function decodeVgaMode(registers: VgaRegisters): VgaDisplayMode {
  // The same two tests QEMU's VGA renderer makes to choose between text and pixels.
  if (registers.vbeEnable & 1) return { kind: 'graphics', reason: 'a VBE (linear framebuffer) mode is set' };
  if (registers.graphicsMisc & 1) return { kind: 'graphics', reason: 'the VGA graphics controller is in graphics mode' };
  const crtc = registers.crtc;
  const reg = (index: number) => crtc[index] ?? 0;
  const columns = reg(0x01) + 1;
  const overflow = reg(0x07);
  const scanLines = (reg(0x12) | ((overflow & 0x02) << 7) | ((overflow & 0x40) << 3)) + 1;
  const maxScanLine = reg(0x09);
  const charHeight = (maxScanLine & 0x1f) + 1;
  const rows = Math.max(1, Math.floor(scanLines / (maxScanLine & 0x80 ? 2 : 1) / charHeight));
  const start = (reg(0x0c) << 8) | reg(0x0d);
  const cellsPerRow = reg(0x13) * 2 || columns;
  const cursorCell = ((reg(0x0e) << 8) | reg(0x0f)) - start;
  const cursorOff = (reg(0x0a) & 0x20) !== 0 || (reg(0x0a) & 0x1f) > (reg(0x0b) & 0x1f);
  const row = Math.floor(cursorCell / cellsPerRow);
  const column = cursorCell - row * cellsPerRow;
  const onScreen = cursorCell >= 0 && row < rows && column < columns;
  return {
    kind: 'text',
    columns,
    rows,
    firstCellAddress: memoryWindows[(registers.graphicsMisc >> 2) & 3]! + 2 * start,
    cellsPerRow,
    cursor: { row: Math.max(0, row), column: Math.max(0, column), visible: onScreen && !cursorOff },
  };
}

/** Code page 437, the VGA ROM font: 0x00-0x1f are glyphs (smileys, arrows) in video memory, not controls. */
const cp437 =
  ' ☺☻♥♦♣♠•◘○◙♂♀♪♫☼►◄↕‼¶§▬↨↑↓→←∟↔▲▼' +
  ' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~⌂' +
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀' +
  'αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

export function cp437Char(byte: number): string {
  return cp437[byte] ?? '\ufffd';
}

export interface VgaTextCells {
  /** One string per row, trailing blanks trimmed. */
  rows: string[];
  /** Attribute byte of every cell, row by row (`columns` per row): colours, blink, the highlighted menu entry. */
  attributes: Uint8Array;
}

/** Decodes text-mode video memory read from `firstCellAddress` (2 bytes per cell: character, attribute). */
export function decodeVgaText(memory: Uint8Array, mode: { columns: number; rows: number; cellsPerRow: number }): VgaTextCells {
  const rows: string[] = [];
  const attributes = new Uint8Array(mode.columns * mode.rows);
  for (let row = 0; row < mode.rows; row++) {
    let line = '';
    for (let column = 0; column < mode.columns; column++) {
      const at = 2 * (row * mode.cellsPerRow + column);
      line += at + 1 < memory.length ? cp437Char(memory[at]!) : ' ';
      attributes[row * mode.columns + column] = memory[at + 1] ?? 0;
    }
    rows.push(line.replace(/[ \u00a0]+$/, ''));
  }
  return { rows, attributes };
}

/** Bytes of video memory a text screen spans from its first cell. */
export function vgaTextSpanBytes(mode: { columns: number; rows: number; cellsPerRow: number }): number {
  return 2 * ((mode.rows - 1) * mode.cellsPerRow + mode.columns);
}

/** Reads `portb[0x03d5] = 0x4f` (HMP `i`) as a number. */
export function parsePortRead(output: string): number {
  const match = /=\s*0x([0-9a-f]+)/i.exec(output);
  if (!match) throw new Error(`not an HMP port read: ${JSON.stringify(output.trim())}`);
  return Number.parseInt(match[1]!, 16);
}
