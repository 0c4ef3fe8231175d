import { describe, expect, it } from 'vitest';
import { cp437Char, decodeVgaMode, decodeVgaText, parsePortRead, type VgaRegisters, vgaTextSpanBytes } from '../../../harness/qemu/vga-text-mode.ts';

/** CRTC values of mode 3 (80x25 text) as QEMU's card held them under isolinux, with a start address and cursor. */
function mode3(overrides: Record<number, number> = {}): VgaRegisters {
  const crtc: number[] = [];
  Object.assign(crtc, { 0x01: 0x4f, 0x07: 0x1f, 0x09: 0x4f, 0x0a: 0x0d, 0x0b: 0x0e, 0x0c: 0x00, 0x0d: 0x00, 0x0e: 0x07, 0x0f: 0x80, 0x12: 0x8f, 0x13: 0x28 }, overrides);
  return { miscOutput: 0x67, graphicsMisc: 0x0e, vbeEnable: 0, crtc };
}

describe('decodeVgaMode', () => {
  it('reads 80x25 text mode, its memory window and the cursor', () => {
    expect(decodeVgaMode(mode3())).toEqual({
      kind: 'text',
      columns: 80,
      rows: 25,
      firstCellAddress: 0xb8000,
      cellsPerRow: 80,
      cursor: { row: 24, column: 0, visible: true },
    });
  });

  it('follows a scrolled start address (the kernel VGA console scrolls in hardware) and a hidden cursor', () => {
    // Start at cell 0x0a00 (row 32 of video memory), cursor two rows and five columns further, cursor-disable bit set.
    const mode = decodeVgaMode(mode3({ 0x0c: 0x0a, 0x0d: 0x00, 0x0e: 0x0a, 0x0f: 0xa5, 0x0a: 0x20 }));
    expect(mode).toMatchObject({ kind: 'text', firstCellAddress: 0xb8000 + 2 * 0x0a00, cursor: { row: 2, column: 5, visible: false } });
  });

  it('reads 80x50 (8-line characters)', () => {
    expect(decodeVgaMode(mode3({ 0x09: 0x47 }))).toMatchObject({ columns: 80, rows: 50 });
  });

  it('says graphics for the graphics controller bit and for a VBE mode, with the reason', () => {
    expect(decodeVgaMode({ ...mode3(), graphicsMisc: 0x05 })).toEqual({ kind: 'graphics', reason: 'the VGA graphics controller is in graphics mode' });
    expect(decodeVgaMode({ ...mode3(), vbeEnable: 0x41 })).toEqual({ kind: 'graphics', reason: 'a VBE (linear framebuffer) mode is set' });
  });
});

describe('decodeVgaText', () => {
  it('decodes code page 437 cells row by row, keeping attributes, trimming trailing blanks', () => {
    const layout = { columns: 4, rows: 2, cellsPerRow: 6 };
    const memory = new Uint8Array(vgaTextSpanBytes(layout));
    const put = (cell: number, byte: number, attribute: number) => {
      memory[2 * cell] = byte;
      memory[2 * cell + 1] = attribute;
    };
    [0xda, 0xc4, 0xbf, 0x20].forEach((byte, column) => put(column, byte, 0x1f));
    [0x41, 0x82, 0x00, 0x20].forEach((byte, column) => put(6 + column, byte, 0x07));
    const decoded = decodeVgaText(memory, layout);
    expect(decoded.rows).toEqual(['┌─┐', 'Aé']);
    expect([...decoded.attributes]).toEqual([0x1f, 0x1f, 0x1f, 0x1f, 7, 7, 7, 7]);
    expect(vgaTextSpanBytes(layout)).toBe(2 * (6 + 4));
  });

  it('has all 256 code page 437 characters', () => {
    expect([0x01, 0x41, 0xb3, 0xc4, 0xdb, 0xe0, 0xfe].map(cp437Char).join('')).toBe('☺A│─█α■');
    expect(cp437Char(0xff)).toBe('\u00a0');
  });
});

describe('parsePortRead', () => {
  it('reads HMP port output', () => {
    expect(parsePortRead('portb[0x03d5] = 0x4f\r\n')).toBe(0x4f);
    expect(parsePortRead('portw[0x01cf] = 0xffff\r\n')).toBe(0xffff);
    expect(() => parsePortRead('unknown command')).toThrow(/not an HMP port read/);
  });
});
