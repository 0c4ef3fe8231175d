// PPM → PNG: decode the PNG back by hand (chunks, CRCs checked with zlib's own crc32, not the module's)
// and compare the pixels.
import { crc32 as zlibCrc32, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { PpmParseError, crc32, encodePng, parsePpm, type RgbImage } from '../../../harness/qemu/png-encoder.ts';

function decodePng(png: Buffer): RgbImage & { chunkTypes: string[] } {
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let offset = 8;
  const chunkTypes: string[] = [];
  const idat: Buffer[] = [];
  let width = 0;
  let height = 0;
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    expect(png.readUInt32BE(offset + 8 + length), `CRC of ${type}`).toBe(zlibCrc32(png.subarray(offset + 4, offset + 8 + length)));
    chunkTypes.push(type);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect([...data.subarray(8)]).toEqual([8, 2, 0, 0, 0]);
    }
    if (type === 'IDAT') idat.push(data);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 3;
  const pixels = new Uint8Array(stride * height);
  for (let row = 0; row < height; row += 1) {
    expect(raw[row * (stride + 1)]).toBe(0);
    pixels.set(raw.subarray(row * (stride + 1) + 1, (row + 1) * (stride + 1)), row * stride);
  }
  return { width, height, pixels, chunkTypes };
}

function ppm(header: string, samples: number[] | Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(header, 'latin1'), Buffer.from(samples)]);
}

describe('parsePpm and encodePng', () => {
  it('round-trips a 3x2 image pixel for pixel', () => {
    const samples = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90];
    const image = parsePpm(ppm('P6\n# written by QEMU\n3 2\n255\n', samples));
    expect(image).toMatchObject({ width: 3, height: 2 });
    const decoded = decodePng(encodePng(image));
    expect(decoded.chunkTypes).toEqual(['IHDR', 'IDAT', 'IEND']);
    expect({ width: decoded.width, height: decoded.height }).toEqual({ width: 3, height: 2 });
    expect([...decoded.pixels]).toEqual(samples);
  });

  it('round-trips a VGA-sized image', () => {
    const width = 720;
    const height = 400;
    const samples = new Uint8Array(width * height * 3).map((_, index) => (index * 7) % 251);
    const decoded = decodePng(encodePng(parsePpm(ppm(`P6 ${width} ${height} 255\n`, samples))));
    expect(Buffer.from(decoded.pixels).equals(Buffer.from(samples))).toBe(true);
  });

  it('scales 16-bit samples to 8 bits', () => {
    const image = parsePpm(ppm('P6\n1 1\n65535\n', [0xff, 0xff, 0x80, 0x00, 0x00, 0x00]));
    expect([...image.pixels]).toEqual([255, 128, 0]);
  });

  it("the module's crc32 agrees with zlib's (the PNG check value: ISO-HDLC, 0xCBF43926 for '123456789')", () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    const data = Buffer.from(new Uint8Array(4096).map((_, index) => (index * 31) % 256));
    expect(crc32(data)).toBe(zlibCrc32(data));
  });

  it.each([
    ['P5\n1 1\n255\n\0', /magic is not P6/],
    ['P6\n0 1\n255\n', /bad size 0x1/],
    ['P6\n2 2\n255\n\0\0\0', /expected 12 bytes of pixels, got 3/],
  ])('rejects %j', (text, message) => {
    expect(() => parsePpm(Buffer.from(text, 'latin1'))).toThrow(PpmParseError);
    expect(() => parsePpm(Buffer.from(text, 'latin1'))).toThrow(message);
  });
});
