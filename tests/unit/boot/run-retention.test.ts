// Old run folders go, the newest and those in use stay, and nothing but run folders is touched.
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { attachPointerFile } from '../../../harness/boot/run-directory.ts';
import { parseKeepRuns, pruneRunFolders, recentlyWrittenMs } from '../../../harness/boot/run-retention.ts';
import { resolveBootOptions } from '../../../harness/boot/boot-options.ts';
import { UsageError } from '../../../harness/errors.ts';

let root: string;
const hourAgo = (Date.now() - 3_600_000) / 1000;

async function runFolder(name: string, options: { recent?: 'folder' | 'console'; attached?: boolean } = {}): Promise<void> {
  const folder = join(root, name);
  await mkdir(folder);
  await writeFile(join(folder, 'console.raw'), 'boot\n');
  if (options.attached) await writeFile(join(folder, attachPointerFile), '{}\n');
  // Made an hour ago unless the case says it is being written now.
  if (options.recent !== 'console') await utimes(join(folder, 'console.raw'), hourAgo, hourAgo);
  if (options.recent !== 'folder') await utimes(folder, hourAgo, hourAgo);
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'run-retention-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('pruneRunFolders', () => {
  it('keeps the newest N by name, removes the older ones, leaves other files alone', async () => {
    for (const minute of [1, 2, 3, 4, 5]) await runFolder(`2026-12-01T10-0${minute}-00Z-suite-iso`);
    await writeFile(join(root, 'junit.xml'), '<testsuites/>');
    await writeFile(join(root, 'README.md'), '# boot-logs');
    await mkdir(join(root, 'fresh-root'));
    const result = await pruneRunFolders(root, 2);
    expect(result.problems).toEqual([]);
    expect(result.removed.map((folder) => folder.slice(root.length + 1))).toEqual(['2026-12-01T10-03-00Z-suite-iso', '2026-12-01T10-02-00Z-suite-iso', '2026-12-01T10-01-00Z-suite-iso']);
    expect((await readdir(root)).sort()).toEqual(['2026-12-01T10-04-00Z-suite-iso', '2026-12-01T10-05-00Z-suite-iso', 'README.md', 'fresh-root', 'junit.xml']);
  });

  it('never removes a run kept running or one still being written, however old its name', async () => {
    await runFolder('2026-11-01T00-00-00Z-kept', { attached: true });
    await runFolder('2026-11-01T00-00-01Z-writing-console', { recent: 'console' });
    await runFolder('2026-11-01T00-00-02Z-just-made', { recent: 'folder' });
    await runFolder('2026-11-01T00-00-03Z-done');
    await runFolder('2026-12-01T00-00-00Z-newest');
    const result = await pruneRunFolders(root, 1);
    expect(result.removed.map((folder) => folder.slice(root.length + 1))).toEqual(['2026-11-01T00-00-03Z-done']);
    // Written long enough ago, the same folders go.
    const later = await pruneRunFolders(root, 1, Date.now() + recentlyWrittenMs + 1000);
    expect(later.removed.map((folder) => folder.slice(root.length + 1)).sort()).toEqual(['2026-11-01T00-00-01Z-writing-console', '2026-11-01T00-00-02Z-just-made']);
    expect((await readdir(root)).sort()).toEqual(['2026-11-01T00-00-00Z-kept', '2026-12-01T00-00-00Z-newest']);
  });

  it('`all` removes nothing; a missing log dir is a problem named, not a crash', async () => {
    await runFolder('2026-11-01T00-00-00Z-a');
    expect(await pruneRunFolders(root, 'all')).toEqual({ removed: [], problems: [] });
    const missing = await pruneRunFolders(join(root, 'nowhere'), 5);
    expect(missing.removed).toEqual([]);
    expect(missing.problems[0]).toMatch(/cannot list .*nowhere to remove old runs/);
  });
});

describe('keepRuns input', () => {
  it('takes a whole number or `all`, and names the input and the fix otherwise', () => {
    expect(parseKeepRuns('50', '--keep-runs')).toBe(50);
    expect(parseKeepRuns('all', 'HARNESS_KEEP_RUNS')).toBe('all');
    for (const bad of ['0', '-3', 'many', '2.5', '']) {
      expect(() => parseKeepRuns(bad, '--keep-runs')).toThrow(UsageError);
      expect(() => parseKeepRuns(bad, '--keep-runs')).toThrow(/--keep-runs[\s\S]*whole number of runs[\s\S]*Fix: pass e\.g\. 50/);
    }
  });

  it('resolveBootOptions: the option wins over HARNESS_KEEP_RUNS, which wins over the default', async () => {
    const env = { ...process.env, HARNESS_KEEP_RUNS: '7' };
    expect((await resolveBootOptions({ env, keepRuns: 'all' })).keepRuns).toBe('all');
    expect((await resolveBootOptions({ env })).keepRuns).toBe(7);
    expect((await resolveBootOptions({ env: { ...process.env, HARNESS_KEEP_RUNS: '' } })).keepRuns).toBe(300);
    await expect(resolveBootOptions({ env: { ...process.env, HARNESS_KEEP_RUNS: 'none' } })).rejects.toThrow(/HARNESS_KEEP_RUNS: expected a whole number of runs/);
  });
});
