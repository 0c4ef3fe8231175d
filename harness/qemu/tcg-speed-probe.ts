// Measures how fast TCG runs here: the time a reference kernel takes to print its banner under TCG.
// Remembered for five minutes per process, so a suite of boots and restores pays for few measurements.
import { monotonicNowMs } from '../util/clock.ts';
import type { GuestRunResult } from './accelerator-probe.ts';
import { runUntilOutput } from '../util/short-process.ts';

export interface TcgSpeed {
  /** undefined when the guest printed no banner in time; `problem` says why. */
  bannerMs: number | undefined;
  problem?: string;
}

export type GuestRunner = (binary: string, args: readonly string[], pattern: RegExp, timeoutMs: number) => Promise<GuestRunResult>;

const rememberMs = 300_000;
const remembered = new Map<string, { atMs: number; speed: Promise<TcgSpeed> }>();

export function tcgSpeedProbeArgs(kernelPath: string): string[] {
  return ['-accel', 'tcg', '-m', '256', '-display', 'none', '-serial', 'stdio', '-monitor', 'none', '-nodefaults', '-no-reboot', '-kernel', kernelPath, '-append', 'console=ttyS0 panic=-1'];
}

export function measureTcgSpeed(options: { qemuBinary: string; kernelPath: string; timeoutMs?: number; run?: GuestRunner; fresh?: boolean }): Promise<TcgSpeed> {
  const key = `${options.qemuBinary}\0${options.kernelPath}`;
  const known = remembered.get(key);
  if (!options.fresh && known && monotonicNowMs() - known.atMs < rememberMs) return known.speed;
  const speed = runProbe(options);
  remembered.set(key, { atMs: monotonicNowMs(), speed });
  return speed;
}

async function runProbe(options: { qemuBinary: string; kernelPath: string; timeoutMs?: number; run?: GuestRunner }): Promise<TcgSpeed> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const run = await (options.run ?? runUntilOutput)(options.qemuBinary, tcgSpeedProbeArgs(options.kernelPath), /Linux version/, timeoutMs);
  if (run.matched) return { bannerMs: run.elapsedMs };
  if (run.spawnError) return { bannerMs: undefined, problem: `QEMU could not be started: ${run.spawnError}` };
  if (run.exitCode !== null) return { bannerMs: undefined, problem: `QEMU exited with code ${run.exitCode} before "Linux version"` };
  // Still running without a banner: at least this slow, which the scale treats as very slow, not as unknown.
  return { bannerMs: timeoutMs, problem: `no "Linux version" under TCG within ${timeoutMs} ms` };
}
