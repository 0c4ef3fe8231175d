// A real boot with --keep-runs: the log dir keeps the newest runs (this one included), a run kept running,
// and every file that is not a run folder. The default image boots in ~10 s under TCG.
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness } from '../support/run-cli.ts';

let logs: string;
const old = (Date.now() - 86_400_000) / 1000;

async function oldRun(name: string, files: string[] = []): Promise<void> {
  const folder = join(logs, name);
  await mkdir(folder);
  for (const file of ['console.raw', 'report.json', ...files]) {
    await writeFile(join(folder, file), '{}\n');
    await utimes(join(folder, file), old, old);
  }
  await utimes(folder, old, old);
}

beforeAll(async () => {
  logs = await mkdtemp(join(tmpdir(), 'run-retention-boot-'));
  await oldRun('2026-11-01T00-00-00Z-kept-running', ['attach.json']);
  await oldRun('2026-11-02T00-00-00Z-oldest');
  await oldRun('2026-11-03T00-00-00Z-older');
  await oldRun('2026-11-04T00-00-00Z-newest-old');
  await writeFile(join(logs, 'junit.xml'), '<testsuites/>\n');
});

afterAll(async () => {
  await rm(logs, { recursive: true, force: true });
});

describe('boot-logs retention', () => {
  it('harness boot --keep-runs 2 removes the older runs and keeps the rest', async () => {
    const result = await harness(['boot', '--direct', '--no-checks', '--name', 'retention', '--log-dir', logs, '--keep-runs', '2']);
    expect(result.code).toBe(0);
    const entries = (await readdir(logs)).sort();
    expect(entries.filter((entry) => entry.endsWith('-retention'))).toHaveLength(1);
    expect(entries.filter((entry) => !entry.endsWith('-retention'))).toEqual(['2026-11-01T00-00-00Z-kept-running', '2026-11-04T00-00-00Z-newest-old', 'junit.xml']);
  }, 300_000);
});
