import { describe, expect, it } from 'vitest';
import { upscalePpm } from '../../../harness/qemu/ocr-image.ts';

describe('upscalePpm', () => {
  it('repeats every pixel factor x factor times, keeping the header valid', () => {
    // 2x1: red, blue.
    const ppm = Buffer.concat([Buffer.from('P6\n2 1\n255\n'), Buffer.from([255, 0, 0, 0, 0, 255])]);
    const scaled = upscalePpm(ppm, 2);
    const header = 'P6\n4 2\n255\n';
    expect(scaled.subarray(0, header.length).toString('latin1')).toBe(header);
    const row = [255, 0, 0, 255, 0, 0, 0, 0, 255, 0, 0, 255];
    expect([...scaled.subarray(header.length)]).toEqual([...row, ...row]);
  });

  it('refuses what is not a full 8-bit binary PPM', () => {
    expect(() => upscalePpm(Buffer.from('P3\n1 1\n255\n0 0 0'))).toThrow(/not a binary PPM/);
    expect(() => upscalePpm(Buffer.concat([Buffer.from('P6\n2 2\n255\n'), Buffer.alloc(3)]))).toThrow(/truncated/);
  });
});
