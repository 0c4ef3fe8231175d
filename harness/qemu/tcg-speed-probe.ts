// Measures how fast TCG runs here: the time a reference kernel takes to print its banner under TCG.
// Remembered for five minutes: in this process, and, given a cache dir, for the processes that follow
// (each `harness boot` and vitest worker would otherwise pay ~1 s of QEMU for the same figure).
import { join } from 'node:path';
import { cacheRecordFormat, type DiskCache, readCacheRecord, writeCacheRecord } from '../util/cache-record.ts';
import { monotonicNowMs } from '../util/clock.ts';
import { stampFile } from '../util/file-stamp.ts';
import type { GuestRunResult } from './accelerator-probe.ts';
import { runUntilOutput } from '../util/short-process.ts';

export interface TcgSpeed {
  /** undefined when the guest printed no banner in time; `problem` says why. */
  bannerMs: number | undefined;
  problem?: string;
  /** Set when the figure was not measured for this call but earlier, by another boot. */
  earlier?: MeasuredEarlier;
}

export interface MeasuredEarlier {
  ageMs: number;
  /** `this process`: an earlier boot of this process; `another process`: read from the cache dir. */
  by: 'this process' | 'another process';
}

export type GuestRunner = (binary: string, args: readonly string[], pattern: RegExp, timeoutMs: number) => Promise<GuestRunResult>;

export const tcgSpeedCacheFile = 'tcg-speed.json';
const rememberMs = 300_000;

/** Only a banner seen is stored; `measuredAtMs` is wall-clock time, the one clock processes share. */
const speedFormat = cacheRecordFormat({ version: 1, keyField: 'inputs', fields: { bannerMs: 'number', measuredAtMs: 'number' } });

interface Remembered {
  /** Monotonic time the figure dates from: the probe's start, or a cached figure's age back from its load. */
  atMs: number;
  by: MeasuredEarlier['by'];
  speed: Promise<TcgSpeed>;
}

const remembered = new Map<string, Remembered>();

/** What a new process starts with: no figure in memory (for tests). */
export function forgetTcgSpeeds(): void {
  remembered.clear();
}

export function tcgSpeedProbeArgs(kernelPath: string): string[] {
  return ['-accel', 'tcg', '-m', '256', '-display', 'none', '-serial', 'stdio', '-monitor', 'none', '-nodefaults', '-no-reboot', '-kernel', kernelPath, '-append', 'console=ttyS0 panic=-1'];
}

export interface TcgSpeedOptions {
  qemuBinary: string;
  kernelPath: string;
  timeoutMs?: number;
  run?: GuestRunner;
  /** Measure again, whatever memory or the cache dir hold. */
  fresh?: boolean;
  /** Where a figure measured by an earlier process is kept: the run's cache dir, or undefined for none. */
  cache?: DiskCache;
}

export async function measureTcgSpeed(options: TcgSpeedOptions): Promise<TcgSpeed> {
  const key = `${options.qemuBinary}\0${options.kernelPath}`;
  const known = remembered.get(key);
  if (!options.fresh && known && monotonicNowMs() - known.atMs < rememberMs) {
    const speed = await known.speed;
    return { ...speed, earlier: { ageMs: Math.round(monotonicNowMs() - known.atMs), by: known.by } };
  }
  const entry: Remembered = {
    atMs: monotonicNowMs(),
    by: 'this process',
    // A figure from the cache dir dates from its measurement, so memory keeps it only for what is left of five minutes.
    speed: cachedOrMeasured(options, (ageMs) => Object.assign(entry, { atMs: monotonicNowMs() - ageMs, by: 'another process' })),
  };
  remembered.set(key, entry);
  return entry.speed;
}

async function cachedOrMeasured(options: TcgSpeedOptions, onCached: (ageMs: number) => void): Promise<TcgSpeed> {
  const cache = options.cache ?? { cacheDir: undefined };
  const wallNowMs = cache.wallNowMs ?? Date.now;
  const inputs = cache.cacheDir === undefined ? undefined : await speedInputs(options);
  const path = cache.cacheDir === undefined ? undefined : join(cache.cacheDir, tcgSpeedCacheFile);
  if (path && inputs && !options.fresh) {
    const cached = await readCacheRecord(path, speedFormat, inputs);
    const ageMs = cached ? wallNowMs() - cached.measuredAtMs : undefined;
    // A negative age is a clock set back: the figure's age is unknown, so it is not used.
    if (cached && ageMs !== undefined && ageMs >= 0 && ageMs < rememberMs) {
      onCached(ageMs);
      return { bannerMs: cached.bannerMs, earlier: { ageMs: Math.round(ageMs), by: 'another process' } };
    }
  }
  const speed = await runProbe(options);
  if (path && inputs && speed.bannerMs !== undefined && !speed.problem) {
    await writeCacheRecord(path, speedFormat, inputs, { bannerMs: speed.bannerMs, measuredAtMs: wallNowMs() });
  }
  return speed;
}

/** The key of a stored figure: the QEMU binary and the reference kernel, as files; undefined when one is not there. */
async function speedInputs(options: TcgSpeedOptions): Promise<object | undefined> {
  try {
    const [qemu, kernel] = await Promise.all([stampFile(options.qemuBinary), stampFile(options.kernelPath)]);
    return { qemu: qemu.stamp, kernel: kernel.stamp };
  } catch {
    // Nothing to key a figure by: measure, and keep it in this process only.
    return undefined;
  }
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
