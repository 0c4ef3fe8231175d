// Pure: prepares a QEMU screendump (binary PPM) for OCR. Boot screens use 8-16 px bitmap fonts, below
// what tesseract reads well; three times the size with hard pixel edges turns `Install_pre` back into
// `Install pre` and `(abl` into `[Tab]` on an isolinux vesamenu screen.

export const ocrScale = 3;

/** Scales a P6 PPM up by an integer factor, nearest neighbour (keeps the font's edges sharp). */
export function upscalePpm(ppm: Uint8Array, factor = ocrScale): Buffer {
  const header = /^P6\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(Buffer.from(ppm.subarray(0, 64)).toString('latin1'));
  if (!header) throw new Error('not a binary PPM (P6) image');
  const width = Number(header[1]);
  const height = Number(header[2]);
  if (Number(header[3]) !== 255) throw new Error(`PPM with ${header[3]} levels per channel: only 255 is supported`);
  const pixels = ppm.subarray(header[0].length);
  if (pixels.length < width * height * 3) throw new Error(`PPM truncated: ${pixels.length} bytes of pixels for ${width}x${height}`);
  const outHeader = Buffer.from(`P6\n${width * factor} ${height * factor}\n255\n`, 'latin1');
  const out = Buffer.allocUnsafe(outHeader.length + width * factor * height * factor * 3);
  outHeader.copy(out);
  const rowBytes = width * factor * 3;
  let at = outHeader.length;
  for (let y = 0; y < height; y++) {
    const rowStart = at;
    for (let x = 0; x < width; x++) {
      const source = (y * width + x) * 3;
      for (let repeat = 0; repeat < factor; repeat++) {
        out[at++] = pixels[source]!;
        out[at++] = pixels[source + 1]!;
        out[at++] = pixels[source + 2]!;
      }
    }
    for (let repeat = 1; repeat < factor; repeat++) {
      out.copy(out, at, rowStart, rowStart + rowBytes);
      at += rowBytes;
    }
  }
  return out;
}
