// `qemu --version` once per binary file: a stand-in binary that counts its runs.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { qemuVersionOf } from '../../../harness/qemu/qemu-binary.ts';

const dir = mkdtempSync(join(tmpdir(), 'harness-qemu-version-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fakeQemu(version: string): string {
  const path = join(dir, 'qemu-system-x86_64');
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
