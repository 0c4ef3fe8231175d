// Real boots of the default image under QEMU (TCG here): what a pre-nixos installer image promises.
import { describe, expect, it } from 'vitest';
import { bootVm } from '../../harness/run/boot-vm.ts';
import type { BootOptions } from '../../harness/boot/boot-options.ts';
import { runPreNixosChecks, type PreNixosExpectations } from '../../harness/checks/pre-nixos-suite.ts';

// TCG on a shared 2-core machine: generous, and never a wall-clock assertion.
const bootTestTimeoutMs = 400_000;

interface BootCase {
  title: string;
  options: BootOptions;
  expected: PreNixosExpectations;
  checkIds: string[];
}

const cases: BootCase[] = [
  {
    title: 'default ISO, key by SMBIOS credential: lan, DHCP, SSH, plan-only',
    options: { name: 'suite-iso-key' },
    expected: { keyPresent: true, storage: 'plan-only' },
    checkIds: ['system-running', 'unit-pre-nixos', 'nic-renamed', 'dhcp-lease', 'ssh-reachable', 'storage-status'],
  },
  {
    title: 'default ISO with a disk attached: applied',
    options: { name: 'suite-iso-disk', disks: [{ blankMiB: 64 }] },
    expected: { keyPresent: true, storage: 'applied' },
    checkIds: ['system-running', 'unit-pre-nixos', 'nic-renamed', 'dhcp-lease', 'ssh-reachable', 'storage-status'],
  },
  {
    title: 'direct kernel boot, key on the kernel command line',
    options: { name: 'suite-direct-key', defaultImageAs: 'kernel' },
    expected: { keyPresent: true, storage: 'plan-only' },
    checkIds: ['system-running', 'unit-pre-nixos', 'nic-renamed', 'dhcp-lease', 'ssh-reachable', 'storage-status'],
  },
  {
    title: 'default ISO, key by QEMU fw_cfg',
    options: { name: 'suite-iso-fwcfg', keyInjection: 'fw_cfg' },
    expected: { keyPresent: true, storage: 'plan-only' },
    checkIds: ['system-running', 'unit-pre-nixos', 'nic-renamed', 'dhcp-lease', 'ssh-reachable', 'storage-status'],
  },
  {
    title: 'no key: NIC untouched, no SSH, storage status still written',
    options: { name: 'suite-iso-nokey', keyInjection: 'none' },
    expected: { keyPresent: false, storage: 'plan-only' },
    checkIds: ['system-running', 'unit-pre-nixos', 'nic-not-renamed', 'ssh-unreachable', 'storage-status'],
  },
];

describe('default image boots', () => {
  it.each(cases)('$title', async ({ options, expected, checkIds }) => {
    await using vm = await bootVm(options);
    expect(vm.accelerator?.accel).toMatch(/^(kvm|tcg)$/);
    expect(vm.timeline.reached('kernel')).toBe(true);
    const outcome = await runPreNixosChecks(vm, expected);
    expect(outcome.checks.map((check) => check.id)).toEqual(checkIds);
    const failures = outcome.checks.filter((check) => !check.passed).map((check) => `${check.id}: ${check.verdict}`);
    expect(failures, `service log:\n${outcome.serviceLog}`).toEqual([]);
    expect(outcome.serviceLog).toMatch(/pre-nixos/);
  }, bootTestTimeoutMs);
});

describe('a failing pre-nixos service', () => {
  it('is a failed check, with the service journal in the report', async () => {
    await using vm = await bootVm({ name: 'suite-direct-unit-fails', defaultImageAs: 'kernel', append: 'pre_nixos.fail=1' });
    const outcome = await runPreNixosChecks(vm, { keyPresent: true, storage: 'plan-only' });
    const unit = outcome.checks.find((check) => check.id === 'unit-pre-nixos');
    expect(unit?.passed).toBe(false);
    expect(unit?.verdict).toMatch(/^failed: failed\/failed, result exit-code, exit status 1/);
    expect(outcome.passed).toBe(false);
    expect(outcome.serviceLog).toMatch(/pre-nixos/);
    expect(vm.report.serviceLog).toBe(outcome.serviceLog);
  }, bootTestTimeoutMs);
});

describe('host-to-guest credentials', () => {
  it('a --credential reaches the guest as an SMBIOS systemd credential, not on the command line', async () => {
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'credential-test-'));
    const secret = `s3cret-${process.pid}`;
    const file = join(dir, 'secret');
    await writeFile(file, secret);
    try {
      await using vm = await bootVm({ name: 'suite-credential', defaultImageAs: 'kernel', credentials: { 'pre-nixos.test-secret': file } });
      const strings = await vm.shell.succeed("cat /sys/firmware/dmi/entries/11-*/raw | tr '\\0' '\\n'");
      expect(strings).toContain(`io.systemd.credential.binary:pre-nixos.test-secret=${Buffer.from(secret).toString('base64')}`);
      expect(vm.report.qemu.argv.join(' ')).not.toContain(Buffer.from(secret).toString('base64'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, bootTestTimeoutMs);
});

describe("the user's own SSH key", () => {
  // CI once lost a whole run to a run key ssh2 could not load (its generator drops a leading zero byte).
  it('one whose public key starts with a zero byte logs in over SSH (--ssh-key)', async () => {
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { keyWithLeadingZero } = await import('../support/leading-zero-key.ts');
    const dir = await mkdtemp(join(tmpdir(), 'ssh-key-test-'));
    const keyPath = join(dir, 'id_ed25519');
    const pair = keyWithLeadingZero('suite-user-key');
    await writeFile(keyPath, pair.privateKey, { mode: 0o600 });
    try {
      await using vm = await bootVm({ name: 'suite-user-key', defaultImageAs: 'kernel', sshKeyPath: keyPath, keyInjection: 'cmdline' });
      expect(vm.sshKey?.publicKey.split(' ').slice(0, 2)).toEqual(pair.publicKey.split(' ').slice(0, 2));
      const session = await vm.ssh();
      const result = await session.execute('cut -d" " -f2 /root/.ssh/authorized_keys');
      expect(result.stdout.trim()).toBe(pair.publicKey.split(' ')[1]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, bootTestTimeoutMs);
});
