// A private temp folder that records which process owns it, so a later process can tell a live run's
// folder from one a killed process left behind (boot/stale-run-sweep.ts removes those).
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ownedDirectoryPrefix = 'boot-harness-';
export const ownerPidFile = 'owner.pid';

/** 0700 under the system temp dir (a short path: unix socket paths are limited to 108 bytes). */
export async function createOwnedDirectory(kind = ''): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `${ownedDirectoryPrefix}${kind}`));
  await writeFile(join(dir, ownerPidFile), `${process.pid}\n`, { mode: 0o600 });
  return dir;
}
