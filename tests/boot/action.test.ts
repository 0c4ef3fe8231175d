// The boot-harness action, used by path from a throwaway repository and run step by step on this machine
// (scripts/run-action-locally.ts): a passing night writes JUnit, boot logs and a job summary and becomes the
// last good run; the next, failing night's summary names the failed check and compares with it.
import { copyFile, cp, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locateDefaultImage } from '../../harness/boot/default-image.ts';
import type { BootReport } from '../../harness/boot/boot-report.ts';

const root = join(import.meta.dirname, '../..');
let repo: string;
let runnerTemp: string;
let cacheDir: string;

const workflow = (cache: string) => `name: nightly
on:
  schedule:
    - cron: '0 3 * * *'
  workflow_dispatch:
jobs:
  boot:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Boot our image
        uses: ./boot-harness
        with:
          kernel: images/vmlinuz
          initrd: images/initrd.img
          name: throwaway
          cache-dir: ${cache}
  wrong-expectation:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Boot our image
        uses: ./boot-harness
        with:
          kernel: images/vmlinuz
          initrd: images/initrd.img
          expect-storage: applied
          name: throwaway
          cache-dir: ${cache}
`;

beforeAll(async () => {
  repo = await mkdtemp(join(tmpdir(), 'throwaway-repo-'));
  runnerTemp = await mkdtemp(join(tmpdir(), 'runner-temp-'));
  // The action may build the default image into its cache: it gets a copy, never the user's cache.
  cacheDir = await mkdtemp(join(tmpdir(), 'action-cache-'));
  const image = await locateDefaultImage();
  await cp(join(image.kernel, '..'), join(cacheDir, 'fixtures', 'default'), { recursive: true });
  await mkdir(join(repo, 'images'));
  await copyFile(image.kernel, join(repo, 'images', 'vmlinuz'));
  await copyFile(image.initrd, join(repo, 'images', 'initrd.img'));
  // "By path": the harness sits in the caller's repository as ./boot-harness.
  await symlink(root, join(repo, 'boot-harness'));
  await mkdir(join(repo, '.github', 'workflows'), { recursive: true });
  await writeFile(join(repo, '.github', 'workflows', 'nightly.yml'), workflow(cacheDir));
});

afterAll(async () => {
  for (const dir of [repo, runnerTemp, cacheDir]) if (dir) await rm(dir, { recursive: true, force: true });
});

function runJob(job: string) {
  return execa('node', ['--import', 'tsx', 'scripts/run-action-locally.ts', join(repo, '.github/workflows/nightly.yml'), '--job', job, '--workspace', repo, '--runner-temp', runnerTemp], {
    cwd: root,
    reject: false,
    all: true,
    env: { ...process.env, HARNESS_CACHE_DIR: '' },
  });
}

async function runFolders(): Promise<string[]> {
  const logDir = join(runnerTemp, 'boot-harness', 'logs', 'throwaway');
  return (await readdir(logDir, { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => join(logDir, entry.name));
}

describe('the boot-harness action, run locally from a throwaway repository', () => {
  it('a passing night: JUnit, boot logs and a job summary; the run becomes the last good one', async () => {
    const result = await runJob('boot');
    expect(result.exitCode, result.all).toBe(0);
    expect(result.stdout).toMatch(/SKIP actions\/checkout@v4: `uses: actions\/checkout@v4` is an action from outside this repository; it cannot run here/);
    for (const step of ['Set up (the README\'s set-up, default image only)', 'harness doctor', 'Boot and check', 'Job summary (and the comparison with the last good run)', 'Verdict']) {
      expect(result.stdout).toContain(`OK   Boot our image › ${step}`);
    }
    const [folder] = await runFolders();
    const report = JSON.parse(await readFile(join(folder!, 'report.json'), 'utf8')) as BootReport;
    expect(report.passed).toBe(true);
    for (const file of ['console.txt', 'console.cast', 'report.html', 'report.md']) expect(existsSync(join(folder!, file)), file).toBe(true);
    const junit = await readFile(join(runnerTemp, 'boot-harness', 'logs', 'throwaway', 'junit.xml'), 'utf8');
    expect(junit).toMatch(/<testsuites name="boot-harness" tests="7" failures="0" errors="0"/);
    const summary = await readFile(join(runnerTemp, 'job-summary.md'), 'utf8');
    expect(summary).toMatch(/^# Boot harness: ✅ PASSED — 1 run/);
    expect(summary).toMatch(/\| qemu \| 0 ms \|/);
    expect(summary).toContain('[artefacts of this run](https://github.com/');
    expect(summary).toContain('No last good run to compare with yet');
    expect(existsSync(join(runnerTemp, 'boot-harness', 'last-good', 'throwaway', report.logs.dir.split('/').at(-1)!, 'report.json'))).toBe(true);
  }, 600_000);

  it('the next night fails a check: the job fails, its summary shows the evidence and the comparison with the last good run', async () => {
    const result = await runJob('wrong-expectation');
    expect(result.exitCode, result.all).toBe(1);
    expect(result.stdout).toContain('OK   Boot our image › Job summary (and the comparison with the last good run)');
    expect(result.stdout).toContain('FAIL Boot our image › Verdict (exit 1)');
    const junit = await readFile(join(runnerTemp, 'boot-harness', 'logs', 'throwaway', 'junit.xml'), 'utf8');
    expect(junit).toMatch(/failures="1"/);
    expect(junit).toMatch(/<failure message="[^"]*applied[^"]*">/);
    const summary = await readFile(join(runnerTemp, 'job-summary.md'), 'utf8');
    expect(summary).toMatch(/^# Boot harness: ❌ FAILED — 1 run/);
    expect(summary).toContain('- Failure class: **image**: check failed: pre-nixos storage status');
    expect(summary).toMatch(/### ✗ pre-nixos storage status[^\n]*\n\n[^\n]*applied/);
    expect(summary).toContain('cat /run/pre-nixos/storage-status');
    expect(summary).toMatch(/## Compared with the last good run: PASSED → FAILED/);
    expect(summary).toMatch(/\| \*\*pre-nixos storage status[^|]*\*\* \| ✓ passed \| ✗ failed/);
  }, 600_000);
});
