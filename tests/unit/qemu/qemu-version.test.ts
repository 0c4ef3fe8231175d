// `qemu --version` once per binary file, in this process and, through the cache dir, in the ones after
// it: a stand-in binary that counts its runs.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { forgetQemuVersions, qemuVersionOf } from '../../../harness/qemu/qemu-binary.ts';
import { replaceKeepingMtime, rewriteKeepingMtime } from '../../support/file-changes.ts';

const dir = mkdtempSync(join(tmpdir(), 'harness-qemu-version-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fakeQemu(version: string, path = join(dir, 'qemu-system-x86_64')): string {
  writeFileSync(path, `#!/bin/sh\necho run >> ${join(dir, 'runs')}\necho 'QEMU emulator version ${version}'\n`);
  chmodSync(path, 0o755);
  return path;
}
const runs = () => readFileSync(join(dir, 'runs'), 'utf8').split('\n').filter(Boolean).length;

describe('qemuVersionOf', () => {
  it('runs a binary once, and again once the file is replaced', async () => {
    const binary = fakeQemu('7.2.22');
    expect((await qemuVersionOf(binary))?.text).toContain('7.2.22');
    expect((await qemuVersionOf(binary))?.text).toContain('7.2.22');
    expect(runs()).toBe(1);
    fakeQemu('8.2.10 (a longer version line)');
    expect((await qemuVersionOf(binary))?.text).toContain('8.2.10');
    expect(runs()).toBe(2);
  });
});

describe('qemuVersionOf across processes', () => {
  let cacheDir: string;
  let binary: string;
  beforeEach(async () => {
    cacheDir = join(dir, `cache-${Math.random()}`);
    binary = fakeQemu('7.2.22', join(dir, `qemu-${Math.random()}`));
    await rm(join(dir, 'runs'), { force: true });
  });
  /** The binary was written a moment ago; a clock two seconds on makes it settled, so its version may be stored. */
  const cache = () => ({ cacheDir, wallNowMs: () => Date.now() + 2_000 });
  /** A new process: nothing in memory, the cache dir as the last one left it. */
  async function versionInNewProcess(): Promise<string | undefined> {
    forgetQemuVersions();
    return (await qemuVersionOf(binary, cache()))?.text;
  }
  const recordPaths = async () => (await readdir(join(cacheDir, 'qemu-versions'))).map((name) => join(cacheDir, 'qemu-versions', name));
  async function editRecord(edit: (text: string) => string): Promise<void> {
    const [path] = await recordPaths();
    await writeFile(path!, edit(await readFile(path!, 'utf8')));
  }

  it('a new process reads the version the last one stored, without running the binary', async () => {
    expect(await versionInNewProcess()).toBe('QEMU emulator version 7.2.22');
    expect(await versionInNewProcess()).toBe('QEMU emulator version 7.2.22');
    expect(runs()).toBe(1);
    const [path] = await recordPaths();
    expect(JSON.parse(await readFile(path!, 'utf8'))).toMatchObject({ version: 1, file: { path: binary, size: (await stat(binary)).size }, major: 7, minor: 2, micro: 22 });
  });

  it.each<[string, () => Promise<void>]>([
    ['its size changes', async () => void fakeQemu('8.2.10 (a longer version line)', binary)],
    ['its mtime changes', () => utimes(binary, 1_000, 1_000)],
    ['it is rewritten at the same size with mtime put back (ctime)', () => rewriteKeepingMtime(binary, (path) => fakeQemu('7.2.99', path))],
    ['it is replaced by another inode, mtime put back', () => replaceKeepingMtime(binary, (path) => fakeQemu('7.2.99', path))],
    ['its record is corrupt', () => editRecord(() => '{"version": 1, "fi')],
    ['its record is of another version', () => editRecord((text) => text.replace('"version": 1', '"version": 0'))],
  ])('asks the binary again when %s', async (_what, change) => {
    await versionInNewProcess();
    await change();
    await versionInNewProcess();
    expect(runs()).toBe(2);
  });

  it('a failed --version is not stored: the next process asks again', async () => {
    writeFileSync(binary, `#!/bin/sh\necho run >> ${join(dir, 'runs')}\nexit 1\n`);
    expect(await versionInNewProcess()).toBeUndefined();
    expect(await versionInNewProcess()).toBeUndefined();
    expect(runs()).toBe(2);
    await expect(readdir(join(cacheDir, 'qemu-versions'))).rejects.toThrow();
  });

  it('an unwritable cache dir costs a run per process, never an answer', async () => {
    await writeFile(cacheDir, 'a file where the cache dir should be');
    expect(await versionInNewProcess()).toBe('QEMU emulator version 7.2.22');
    expect(await versionInNewProcess()).toBe('QEMU emulator version 7.2.22');
    expect(runs()).toBe(2);
  });
});
