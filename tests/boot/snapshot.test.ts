// Snapshot restore: a suite pays for one boot; each test gets its own guest restored from it.
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';
import { resolveBootOptions } from '../../harness/boot/boot-options.ts';
import { snapshotFingerprint } from '../../harness/run/vm-snapshot.ts';
import { runPreNixosChecks } from '../../harness/checks/pre-nixos-suite.ts';
import { expect, test } from '../../harness/testing/vitest-fixtures.ts';
import { replaceKeepingMtime, rewriteKeepingMtime } from '../support/file-changes.ts';

const marker = `/root/written-by-test-${process.pid}`;

describe('restored from a snapshot', () => {
  test('a restored guest passes every pre-nixos check, SSH included', async ({ restoredVm: vm }) => {
    expect(vm.timeline.all.find((mark) => mark.phase === 'prompt')?.evidence).toMatch(/restored from snapshot/);
    expect(vm.timeline.reached('kernel')).toBe(false);
    const outcome = await runPreNixosChecks(vm, { keyPresent: true, storage: 'plan-only' });
    expect(outcome).toPassChecks(['system-running', 'unit-pre-nixos', 'nic-renamed', 'dhcp-lease', 'ssh-reachable', 'storage-status']);
  }, 300_000);

  test('what one test writes to its guest…', async ({ restoredVm: vm }) => {
    await vm.shell.succeed(`echo one > ${marker}`);
    expect((await vm.shell.run(`cat ${marker}`)).stdout.trim()).toBe('one');
  }, 300_000);

  test('…the next test does not see', async ({ restoredVm: vm }) => {
    expect(await vm.shell.run(`test -e ${marker}`)).toMatchObject({ exitCode: 1 });
  }, 300_000);

  test('the snapshot is keyed by the image and the machine options', async () => {
    const base = await snapshotFingerprint(await resolveBootOptions({}));
    expect(await snapshotFingerprint(await resolveBootOptions({}))).toBe(base);
    expect(await snapshotFingerprint(await resolveBootOptions({ memoryMiB: 768 }))).not.toBe(base);
    expect(await snapshotFingerprint(await resolveBootOptions({ defaultImageAs: 'kernel' }))).not.toBe(base);
    expect(await snapshotFingerprint(await resolveBootOptions({ keyInjection: 'none' }))).not.toBe(base);
  });

  test('an image file rewritten at the same size with its mtime put back, or replaced by another inode, is another image', async () => {
    const source = (await resolveBootOptions({ defaultImageAs: 'kernel' })).source;
    if (source.kind !== 'kernel') throw new Error(`expected the default image as a kernel, got ${source.kind}`);
    const dir = await mkdtemp(join(tmpdir(), 'snapshot-key-'));
    try {
      const kernel = join(dir, 'vmlinuz');
      const initrd = join(dir, 'initrd');
      await copyFile(source.kernel, kernel);
      await copyFile(source.initrd!, initrd);
      const key = async () => snapshotFingerprint(await resolveBootOptions({ kernel, initrd }));
      const base = await key();
      expect(await key()).toBe(base);
      // The same bytes again (cp -p would do this): size and mtime as before, only ctime says it was written.
      await rewriteKeepingMtime(initrd, (path) => copyFile(source.initrd!, path));
      const rewritten = await key();
      expect(rewritten).not.toBe(base);
      await replaceKeepingMtime(kernel, (path) => copyFile(source.kernel, path));
      expect(await key()).not.toBe(rewritten);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
