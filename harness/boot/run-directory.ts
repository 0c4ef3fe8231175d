// Two folders per run: a private run dir (sockets, keys, overlays; removed at stop) and a log dir under
// boot-logs/ (kept). The run dir records its owner's pid so a later run can sweep what a killed one left.
import { mkdir, rm, access, constants } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.ts';
import { createOwnedDirectory, ownedDirectoryPrefix } from '../util/owned-directory.ts';

export const runDirPrefix = ownedDirectoryPrefix;

/** In the run's log folder while a VM is kept running (`harness boot --keep-running`); removed when it stops. */
export const attachPointerFile = 'attach.json';

export interface RunDirectories {
  /** 0700, short path (unix socket paths are limited to 108 bytes). */
  runDir: string;
  logDir: string;
  remove(): Promise<void>;
}

export function utcStamp(date = new Date()): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z').replaceAll(':', '-');
}

/** Folder names keep to a safe alphabet: a run name may come from a test title. */
export function safeRunName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'run';
}

export async function createRunDirectories(options: { name: string; logRoot: string }): Promise<RunDirectories> {
  const logRoot = resolve(options.logRoot);
  try {
    await mkdir(logRoot, { recursive: true });
    await access(logRoot, constants.W_OK);
  } catch (error) {
    throw new UsageError(
      `log dir ${logRoot}`,
      `is not writable (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      'make it writable, or point HARNESS_LOG_DIR / --log-dir at a writable folder',
    );
  }
  const logDir = await uniqueLogDir(logRoot, `${utcStamp()}-${safeRunName(options.name)}`);
  const runDir = await createOwnedDirectory();
  return {
    runDir,
    logDir,
    remove: () => rm(runDir, { recursive: true, force: true }),
  };
}

async function uniqueLogDir(root: string, base: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const candidate = join(root, attempt === 0 ? base : `${base}-${attempt}`);
    try {
      await mkdir(candidate, { recursive: false, mode: 0o755 });
      return candidate;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}
