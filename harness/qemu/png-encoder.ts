// A minimal PNG encoder for 8-bit RGB images and a PPM (P6) parser, enough to turn QEMU's `screendump`
// into a PNG. Why not a library: the whole job is ~80 lines over node:zlib, and pure code is easy to test.
import { deflateSync } from 'node:zlib';
import { HarnessError } from '../errors.ts';

export interface RgbImage {
  width: number;
  height: number;
  /** width * height * 3 bytes, rows top to bottom. */
  pixels: Uint8Array;
}

export class PpmParseError extends HarnessError {
  override readonly name = 'PpmParseError';
  constructor(readonly problem: string) {
    super(`Not a binary PPM (P6) image: ${problem}`);
  }
}

/** Parses a binary PPM (P6), as written by QEMU's screendump; 16-bit samples are scaled to 8 bits. */
export function parsePpm(data: Uint8Array): RgbImage {
  let offset = 0;
  const token = (): string => {
    for (;;) {
      while (offset < data.length && isSpace(data[offset]!)) offset += 1;
      if (data[offset] !== 0x23) break; // '#' starts a comment up to the end of the line
      while (offset < data.length && data[offset] !== 0x0a) offset += 1;
    }
    const start = offset;
    while (offset < data.length && !isSpace(data[offset]!)) offset += 1;
    return Buffer.from(data.subarray(start, offset)).toString('latin1');
  };
  if (token() !== 'P6') throw new PpmParseError('magic is not P6');
  const width = Number(token());
  const height = Number(token());
  const maxValue = Number(token());
  if (!Number.isInteger(width) || width <= 0 || !Number.isInteger(height) || height <= 0) {
    throw new PpmParseError(`bad size ${width}x${height}`);
  }
  if (!Number.isInteger(maxValue) || maxValue <= 0 || maxValue > 65535) throw new PpmParseError(`bad maximum value ${maxValue}`);
  offset += 1; // exactly one whitespace byte separates the header from the samples
  const sampleCount = width * height * 3;
  const bytesPerSample = maxValue < 256 ? 1 : 2;
  if (data.length - offset < sampleCount * bytesPerSample) {
    throw new PpmParseError(`expected ${sampleCount * bytesPerSample} bytes of pixels, got ${data.length - offset}`);
  }
  const pixels = new Uint8Array(sampleCount);
  for (let index = 0; index < sampleCount; index += 1) {
    const sample = bytesPerSample === 1 ? data[offset + index]! : (data[offset + 2 * index]! << 8) | data[offset + 2 * index + 1]!;
    pixels[index] = maxValue === 255 ? sample : Math.round((sample * 255) / maxValue);
  }
  return { width, height, pixels };
}

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

const pngSignature = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

/** Encodes an RGB image as a PNG (colour type 2, bit depth 8, no filtering). */
export function encodePng(image: RgbImage): Buffer {
  const { width, height, pixels } = image;
  if (pixels.length !== width * height * 3) {
    throw new HarnessError(`RGB image ${width}x${height} needs ${width * height * 3} bytes, got ${pixels.length}`);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type: truecolour
  const stride = width * 3;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let row = 0; row < height; row += 1) {
    raw[row * (stride + 1)] = 0; // filter: none
    raw.set(pixels.subarray(row * stride, (row + 1) * stride), row * (stride + 1) + 1);
  }
  return Buffer.concat([pngSignature, chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

const crcTable = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n += 1) {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = crcTable[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
