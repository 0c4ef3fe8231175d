// Keeps boot-logs/ from growing without bound: one `npm test` leaves ~70 run folders, and a developer's
// machine had 1368 (166 MB) after two weeks. Each new run removes the oldest run folders beyond the
// newest `keep`. A folder is never removed while it may be in use: kept running (attach.json) or written
// to in the last minutes (a run of another process).
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors.ts';
import { attachPointerFile } from './run-directory.ts';

/** About four `npm test` runs: enough to look back at yesterday's failures, small enough to forget. */
export const defaultKeepRuns = 300;
/** A folder written to this recently belongs to a run still going on, whatever its age by name. */
export const recentlyWrittenMs = 15 * 60_000;

/** What createRunDirectories names a run folder: `<UTC stamp>-<name>`, sorting by time. */
const runFolderName = /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ-/;

export type KeepRuns = number | 'all';

export interface PruneResult {
  removed: string[];
  /** Folders that should have gone and could not (permissions, a file held open elsewhere). */
  problems: string[];
}

/** Reads `--keep-runs` / HARNESS_KEEP_RUNS / the keepRuns option: a whole number of runs, or `all`. */
export function parseKeepRuns(value: number | string, input: string): KeepRuns {
  if (value === 'all') return 'all';
  const count = typeof value === 'number' ? value : /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isInteger(count) || count < 1) {
    throw new UsageError(input, `expected a whole number of runs (at least 1) or \`all\`, got \`${String(value)}\``, `pass e.g. ${input === 'keepRuns' ? 'keepRuns: 50' : '50'} (the newest runs kept in the log dir), or \`all\` to never remove any`);
  }
  return count;
}

/**
 * Removes the run folders of `logRoot` older than its newest `keep` (the folder of the run calling it
 * included), except those in use. Other files and folders (junit.xml, doctor reports) are never touched.
 */
export async function pruneRunFolders(logRoot: string, keep: KeepRuns, now = Date.now()): Promise<PruneResult> {
  const result: PruneResult = { removed: [], problems: [] };
  if (keep === 'all') return result;
  let entries: string[];
  try {
    entries = await readdir(logRoot);
  } catch (error) {
    result.problems.push(`cannot list ${logRoot} to remove old runs: ${(error as Error).message}`);
    return result;
  }
  const oldest = entries.filter((entry) => runFolderName.test(entry)).sort().reverse().slice(keep);
  for (const entry of oldest) {
    const folder = join(logRoot, entry);
    if (await inUse(folder, now)) continue;
    try {
      await rm(folder, { recursive: true, force: true });
      result.removed.push(folder);
    } catch (error) {
      result.problems.push(`old run ${folder} kept: ${(error as Error).message}`);
    }
  }
  return result;
}

async function inUse(folder: string, now: number): Promise<boolean> {
  // Gone already (another run pruned it) or not a folder: nothing to remove either way.
  const info = await stat(folder).catch(() => undefined);
  if (!info?.isDirectory()) return true;
  if (now - info.mtimeMs < recentlyWrittenMs) return true;
  if (await stat(join(folder, attachPointerFile)).then(() => true, () => false)) return true;
  // The console log is appended to for as long as the guest writes, without touching the folder's mtime.
  const consoleLog = await stat(join(folder, 'console.raw')).catch(() => undefined);
  return consoleLog !== undefined && now - consoleLog.mtimeMs < recentlyWrittenMs;
}
