// Snapshot restore: a suite pays for one boot; each test gets its own guest restored from it.
import { describe } from 'vitest';
import { resolveBootOptions } from '../../harness/boot/boot-options.ts';
import { snapshotFingerprint } from '../../harness/run/vm-snapshot.ts';
import { runPreNixosChecks } from '../../harness/checks/pre-nixos-suite.ts';
import { expect, test } from '../../harness/testing/vitest-fixtures.ts';

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
});
