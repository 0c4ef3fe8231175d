// A link flap (QMP set_link, as a pulled cable): lan keeps its name, the DHCP lease is renewed once the
// carrier is back, SSH works after. The default image (busybox udhcpc plus its carrier watch) and the
// systemd flavour (systemd-networkd) must both get through it.
import { describe, expect, it } from 'vitest';
import { bootVm } from '../../harness/run/boot-vm.ts';
import type { BootOptions } from '../../harness/boot/boot-options.ts';
import { linkFlapChecks } from '../../harness/checks/link-flap.ts';

const cases: { title: string; options: BootOptions }[] = [
  { title: 'the default image', options: { name: 'link-flap-default', defaultImageAs: 'kernel' } },
  { title: 'the systemd flavour', options: { name: 'link-flap-systemd', fixture: 'systemd' } },
];

describe('link flap', () => {
  it.each(cases)('$title: lan keeps its name, the lease is renewed, SSH works after', async ({ options }) => {
    await using vm = await bootVm(options);
    const key = vm.sshKey!;
    // The lease is in place before the flap (pre-nixos may still be running when the shell appears).
    await vm.shell.waitUntilSucceeds("ip -4 -o addr show dev lan | grep -q 'valid_lft [0-9]'", { timeoutMs: 60_000 });
    const checks = await linkFlapChecks({
      runner: vm.shell,
      setLink: (up) => vm.setLink(0, up),
      ssh: { target: { host: '127.0.0.1', port: vm.sshPort!, username: 'root', privateKey: key.privateKey }, timeoutMs: 60_000 },
    });
    vm.recordChecks(checks);
    expect(checks.map((check) => check.id)).toEqual(['link-flap-name', 'link-flap-lease', 'ssh-reachable']);
    expect(checks.filter((check) => !check.passed).map((check) => `${check.id}: ${check.verdict}`)).toEqual([]);
    expect(checks[0]!.verdict).toBe('lan present after the flap; while down it showed NO-CARRIER');
    expect(checks[1]!.verdict).toMatch(/^10\.0\.2\.15: lease renewed, lifetime \d+ s \(\d+ s before the flap, counting down\)$/);
  }, 480_000);

  it('setLink names a NIC the VM does not have', async () => {
    await using vm = await bootVm({ name: 'link-flap-bad-nic', defaultImageAs: 'kernel', waitFor: 'nothing' });
    await expect(vm.setLink(1, false)).rejects.toThrow(/setLink: this VM has no NIC number 1\nFix: pass a NIC number from 0 to 0/);
  }, 120_000);
});
