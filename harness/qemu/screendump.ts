// A PNG of the guest's VGA screen through QMP `screendump` (QEMU writes PPM; we convert it).
// Works with `-display none`: the default VGA device still renders, nobody just looks at it.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { HarnessError } from '../errors.ts';
import type { QmpClient } from './qmp-client.ts';
import { encodePng, parsePpm } from './png-encoder.ts';

export const defaultScreendumpTimeoutMs = 5_000;

export async function captureScreen(qmp: QmpClient, pngPath: string, timeoutMs = defaultScreendumpTimeoutMs): Promise<void> {
  const ppmPath = `${pngPath}.ppm`;
  let timer: NodeJS.Timeout | undefined;
  // Screenshots are taken on failure paths, where QEMU may be wedged: never let one hang a stop.
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HarnessError(`QMP screendump to ${ppmPath} not answered after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    // QEMU writes the file itself, so the path must be one the QEMU process can write (same host, same user).
    await Promise.race([qmp.execute('screendump', { filename: ppmPath }), timedOut]);
    await writeFile(pngPath, encodePng(parsePpm(await readFile(ppmPath))));
  } finally {
    clearTimeout(timer);
    await rm(ppmPath, { force: true });
  }
}
