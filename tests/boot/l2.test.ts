// L2 networking for real: guests on bridges and macvtaps inside network namespaces this test makes,
// a dnsmasq with reservations by the guests' deterministic MACs, and service hosts that reach the
// guests by ping and SSH. All traffic stays inside those namespaces.
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootVm } from '../../harness/run/boot-vm.ts';
import type { BootedVm } from '../../harness/boot/booted-vm.ts';
import { sweepStaleRuns } from '../../harness/boot/stale-run-sweep.ts';
import { dhcpLease, nicRenamed } from '../../harness/checks/pre-nixos-checks.ts';
import { runPreNixosChecks } from '../../harness/checks/pre-nixos-suite.ts';
import { hasNetAdmin, probeL2Capability } from '../../harness/net/l2/l2-capability.ts';
import { TestSegment, type SegmentHost } from '../../harness/net/l2/test-segment.ts';
import { deterministicMac, MacCollisionError } from '../../harness/net/mac-address.ts';
import { sleep } from '../../harness/util/clock.ts';
import { harness } from '../support/run-cli.ts';

const capability = await probeL2Capability({ tun: true });
const dnsmasq = (() => {
  try {
    execFileSync('dnsmasq', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const skipReason = !capability.usable ? `needs ${capability.missing.join(', ')}` : !dnsmasq ? 'needs dnsmasq (Debian dnsmasq-base)' : '';
if (skipReason) console.warn(`L2 boot tests skipped: ${skipReason}`);
// The no-CAP_NET_ADMIN block needs neither the capability nor dnsmasq: with the capability it drops it in a
// child (setpriv); without it, the child lacks it already. Only a missing setpriv, when there is something to drop, skips it.
const holdsNetAdmin = hasNetAdmin(readFileSync('/proc/self/status', 'utf8')) === true;
const setpriv = (() => {
  try {
    execFileSync('setpriv', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const dropSkipReason = holdsNetAdmin && !setpriv ? 'needs setpriv (Debian util-linux) to drop CAP_NET_ADMIN' : '';
if (dropSkipReason) console.warn(`L2 no-CAP_NET_ADMIN tests skipped: ${dropSkipReason}`);
/** What else this host lacks for L2, which the child without CAP_NET_ADMIN lacks too. */
const missingBesidesNetAdmin = capability.missing.filter((entry) => !entry.startsWith('CAP_NET_ADMIN'));

const bootMs = 300_000;

function links(netns?: string): string {
  return execFileSync('ip', [...(netns ? ['-n', netns] : []), '-o', 'link', 'show'], { encoding: 'utf8' });
}

function hostInterfaces(vm: BootedVm): string[] {
  return (vm.report.nics ?? []).flatMap((nic) => (nic.hostInterface ? [nic.hostInterface] : []));
}

describe.skipIf(Boolean(skipReason))(`L2 networking in test namespaces${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let segment: TestSegment;
  let service: SegmentHost;

  beforeAll(async () => {
    segment = await TestSegment.create({ subnet: '10.213.7' });
    service = await segment.addHost('service', '10.213.7.10');
  });
  afterAll(async () => {
    const netns = segment?.netns;
    await segment?.stop();
    if (netns) expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(netns);
  });

  it('a bridge NIC: renamed to lan, the reserved address by DHCP, reached from a service host by ping and SSH; its tap goes with QEMU', async () => {
    const name = `l2-bridge-${process.pid}`;
    const mac = deterministicMac(name, 0);
    await segment.reserve({ mac, address: '10.213.7.50' });
    const vm = await bootVm({ name, defaultImageAs: 'kernel', nics: [segment.bridgeNic()] });
    const [tap] = hostInterfaces(vm);
    try {
      expect(vm.report.nics?.[0]).toMatchObject({ mode: 'bridge', mac, bridge: 'br0', netns: segment.netns });
      // The guest's NIC carries the derived MAC, so the reservation applies.
      expect((await vm.shell.succeed('cat /sys/class/net/lan/address')).trim()).toBe(mac);
      const renamed = await nicRenamed(vm.shell);
      expect(renamed.passed, renamed.verdict).toBe(true);
      const lease = await dhcpLease(vm.shell, 'lan', { address: '10.213.7.50', gateway: '10.213.7.1' });
      expect(lease.passed, `${lease.verdict}\n${await segment.dhcpLog()}`).toBe(true);
      expect(await segment.leases()).toContainEqual(expect.objectContaining({ mac, address: '10.213.7.50' }));
      // The tap sits on the segment's bridge, not in the host's namespace.
      expect(links(segment.netns)).toMatch(new RegExp(`${tap}.*master br0`));
      expect(links()).not.toContain(tap);

      const ping = await service.ping('10.213.7.50');
      expect(ping.reachable, ping.output).toBe(true);
      const ssh = await vm.sshThrough(() => service.openStream('10.213.7.50', 22), { host: '10.213.7.50' });
      try {
        const result = await ssh.execute('id -un; ip -4 -o addr show dev lan');
        expect(result.exitCode).toBe(0);
        expect(result.stdout).toMatch(/^root\n.*inet 10\.213\.7\.50\/24/);
      } finally {
        ssh.close();
      }
      // The pre-nixos checks reach SSH over the segment, not through a forwarded port.
      const overSegment = { host: '10.213.7.50', openStream: () => service.openStream('10.213.7.50', 22) };
      const outcome = await runPreNixosChecks(vm, { keyPresent: true, storage: 'plan-only', lease: { address: '10.213.7.50', gateway: '10.213.7.1' }, ssh: overSegment });
      expect(outcome.checks.map((check) => `${check.id}: ${check.passed ? 'passed' : check.verdict}`)).toContain('ssh-reachable: passed');
      expect(outcome.passed, outcome.checks.map((check) => `${check.id}: ${check.verdict}`).join('\n')).toBe(true);
      // No user-mode NIC: nothing is forwarded, and the error says how to reach the guest instead.
      expect(vm.sshPort).toBeUndefined();
      await expect(vm.ssh(1000)).rejects.toThrow(/sshThrough/);
    } finally {
      await vm.stop();
    }
    expect(links(segment.netns)).not.toContain(tap);
  }, bootMs);

  it('two VMs on one segment reach each other; a third live VM with a clashing MAC is refused before QEMU starts', async () => {
    const names = [`l2-peer-a-${process.pid}`, `l2-peer-b-${process.pid}`];
    const addresses = ['10.213.7.61', '10.213.7.62'];
    for (const [index, name] of names.entries()) await segment.reserve({ mac: deterministicMac(name, 0), address: addresses[index]! });
    const started = await Promise.allSettled(names.map((name) => bootVm({ name, defaultImageAs: 'kernel', nics: [segment.bridgeNic()] })));
    const vms = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    try {
      for (const result of started) if (result.status === 'rejected') throw result.reason;
      const [a, b] = vms as [BootedVm, BootedVm];
      for (const vm of [a, b]) {
        const lease = await dhcpLease(vm.shell, 'lan', { address: addresses[vms.indexOf(vm)]!, gateway: '10.213.7.1' });
        expect(lease.passed, lease.verdict).toBe(true);
      }
      const aToB = await a.shell.run(`ping -c 3 -W 2 ${addresses[1]}`);
      expect(aToB.exitCode, aToB.stdout).toBe(0);
      const bToA = await b.shell.run(`ping -c 3 -W 2 ${addresses[0]}`);
      expect(bToA.exitCode, bToA.stdout).toBe(0);
      // The MACs are unique while both live: a third VM deriving the same one is refused.
      const clash = await bootVm({ name: names[0]!, defaultImageAs: 'kernel', nics: [segment.bridgeNic()] }).catch((error: unknown) => error);
      expect(clash).toBeInstanceOf(MacCollisionError);
      expect((clash as Error).message).toMatch(/already used by/);
    } finally {
      await Promise.all(vms.map((vm) => vm.stop()));
    }
  }, bootMs);

  it('a macvtap second NIC next to a user-mode first NIC: the guest sees both, the macvtap side gets its reserved lease', async () => {
    const uplink = await segment.addUplink();
    const name = `l2-macvtap-${process.pid}`;
    const mac = deterministicMac(name, 1);
    await segment.reserve({ mac, address: '10.213.7.70' });
    const vm = await bootVm({ name, defaultImageAs: 'kernel', nics: [{ mode: 'user' }, { mode: 'macvtap', link: uplink }] });
    const [macvtap] = hostInterfaces(vm);
    try {
      expect(links()).toMatch(new RegExp(`${macvtap}@${uplink}.*\\n?`));
      // The first (user-mode) NIC is the primary one pre-nixos renames; the macvtap one is the second NIC.
      const lan = await dhcpLease(vm.shell, 'lan');
      expect(lan.passed, lan.verdict).toBe(true);
      const second = (await vm.shell.succeed(`grep -l ${mac} /sys/class/net/*/address`)).trim().split('/')[4]!;
      expect(second).toMatch(/^eth\d$/);
      const dhcp = await vm.shell.run(`udhcpc -i ${second} -n -q -t 5 -T 2 -s /usr/share/udhcpc/default.script`, { timeoutMs: 60_000 });
      expect(dhcp.exitCode, dhcp.stdout).toBe(0);
      expect(await vm.shell.succeed(`ip -4 -o addr show dev ${second}`)).toContain('inet 10.213.7.70/24');
      expect(await segment.leases()).toContainEqual(expect.objectContaining({ mac, address: '10.213.7.70' }));
      const ping = await service.ping('10.213.7.70');
      expect(ping.reachable, ping.output).toBe(true);
      // The user-mode side still carries the forwarded SSH.
      const ssh = await vm.ssh();
      expect((await ssh.execute('id -un')).stdout.trim()).toBe('root');
    } finally {
      await vm.stop();
    }
    expect(links()).not.toContain(`${macvtap}@`);
  }, bootMs);

  it('a bridge the harness made for the run is removed at stop; one it found is left alone', async () => {
    const vm = await bootVm({
      name: `l2-made-bridge-${process.pid}`,
      defaultImageAs: 'kernel',
      nics: [{ mode: 'user' }, { mode: 'bridge', bridge: 'br-made', netns: segment.netns, createBridge: true }, segment.bridgeNic()],
    });
    try {
      expect(links(segment.netns)).toContain('br-made');
    } finally {
      await vm.stop();
    }
    expect(links(segment.netns)).not.toContain('br-made');
    expect(links(segment.netns)).toMatch(/\bbr0\b/);
    // A missing bridge that may not be made is a clear error before QEMU, naming the fix.
    await expect(bootVm({ name: `l2-no-bridge-${process.pid}`, defaultImageAs: 'kernel', nics: [{ mode: 'bridge', bridge: 'br-absent', netns: segment.netns }] })).rejects.toThrow(
      /br-absent in network namespace .* does not exist[\s\S]*createBridge: true/,
    );
  }, bootMs);

  it('harness boot --nic: an L2-only guest gets its reserved lease, but its SSH check is skipped (no forwarded port), which fails the run; bad NIC input exits 2 before QEMU', async () => {
    const name = `l2-cli-${process.pid}`;
    await segment.reserve({ mac: deterministicMac(name, 0), address: '10.213.7.80' });
    const run = await harness(['boot', '--direct', '--name', name, '--nic', `bridge=br0,netns=${segment.netns}`, '--json']);
    const report = JSON.parse(run.stdout) as { passed: boolean; outcome: string; checks: { id: string; passed: boolean; skipped?: string; verdict: string }[]; nics: { mode: string; mac: string }[] };
    expect(run.code, run.stderr).toBe(1);
    expect(report).toMatchObject({ passed: false, outcome: 'failed' });
    expect(report.checks.filter((check) => !check.passed).map((check) => check.id)).toEqual(['ssh-reachable']);
    expect(report.checks.find((check) => check.id === 'ssh-reachable')?.skipped).toMatch(/no forwarded SSH port/);
    expect(report.checks.find((check) => check.id === 'dhcp-lease')?.verdict).toBe('10.213.7.80/24 by DHCP, default route via 10.213.7.1');
    expect(report.nics[0]).toMatchObject({ mode: 'bridge', mac: deterministicMac(name, 0) });

    const absent = await harness(['boot', '--direct', '--nic', `bridge=br-absent,netns=${segment.netns}`]);
    expect(absent.code).toBe(2);
    expect(absent.stderr).toMatch(/bridge br-absent in network namespace .* does not exist[\s\S]*--nic bridge=NAME,create/);
    const noNamespace = await harness(['boot', '--direct', '--nic', 'macvtap=eth0,netns=hb-no-such-namespace']);
    expect(noNamespace.code).toBe(2);
    expect(noNamespace.stderr).toMatch(/Cannot open network namespace "hb-no-such-namespace"[\s\S]*ip netns list/);
  }, bootMs);

  it('a run SIGKILLed while holding a macvtap: QEMU dies with it and the next sweep removes the macvtap', async () => {
    const uplink = await segment.addUplink();
    const child = runChild('wait', `l2-killed-${process.pid}`, [{ mode: 'user' }, { mode: 'macvtap', link: uplink }]);
    const booted = await child.event('booted', bootMs - 30_000);
    const macvtap = (booted.nics as { hostInterface?: string }[])[1]!.hostInterface!;
    expect(links()).toContain(`${macvtap}@`);
    child.process.kill('SIGKILL');
    await child.exited;
    const sweep = await sweepStaleRuns();
    expect(sweep.undoneNetworkObjects).toContain(`link ${macvtap}`);
    expect(links()).not.toContain(`${macvtap}@`);
    expect(await runsAfter(booted.qemuPid as number, 3000)).toBe(false);
  }, bootMs);
});

describe.skipIf(Boolean(dropSkipReason))(`without CAP_NET_ADMIN (a child process with it dropped from its bounding set)${dropSkipReason ? ` (skipped: ${dropSkipReason})` : ''}`, () => {
  const nics = [{ mode: 'bridge', bridge: 'br0', netns: 'hb-never-made' }];

  it('fails before QEMU starts, naming what is missing and the fixes', async () => {
    const child = runChild('error', `l2-nocap-${process.pid}`, nics, { dropNetAdmin: true });
    const failed = await child.event('failed', 120_000);
    expect(failed.name).toBe('L2UnavailableError');
    expect(failed.missing).toEqual([expect.stringMatching(/^CAP_NET_ADMIN/), ...missingBesidesNetAdmin]);
    expect(failed.message).toMatch(/--cap-add NET_ADMIN/);
    expect((await child.exited).code).toBe(1);
  }, bootMs);

  it('with l2Fallback user: boots on user-mode networking and the report carries the warning', async () => {
    const child = runChild('user', `l2-nocap-fallback-${process.pid}`, nics, { dropNetAdmin: true });
    const booted = await child.event('booted', bootMs - 30_000);
    expect(booted.warnings).toEqual([expect.stringMatching(/CAP_NET_ADMIN.*bridge NIC on br0 \(netns hb-never-made\) replaced by user-mode networking/)]);
    expect(booted.lan).toContain('inet 10.0.2.15/24');
    // No checks ran: the run booted, which is not a pass.
    expect(await child.event('stopped', 60_000)).toMatchObject({ passed: false, outcome: 'booted' });
    const report = JSON.parse(execFileSync('cat', [join(booted.logDir as string, 'report.json')], { encoding: 'utf8' })) as { warnings?: string[] };
    expect(report.warnings?.[0]).toMatch(/replaced by user-mode networking/);
  }, bootMs);
});

/** Whether `pid` still runs after up to `budgetMs` (a zombie, waiting for a reaper, does not run). */
async function runsAfter(pid: number, budgetMs: number): Promise<boolean> {
  const running = () => {
    try {
      const stat = execFileSync('cat', [`/proc/${pid}/stat`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      return !/^\d+ \(.*\) Z /.test(stat);
    } catch {
      return false;
    }
  };
  const until = Date.now() + budgetMs;
  while (running() && Date.now() < until) await sleep(50);
  return running();
}

function runChild(mode: 'error' | 'user' | 'wait', name: string, nics: unknown[], options: { dropNetAdmin?: boolean } = {}) {
  const node = [process.execPath, '--import', 'tsx', join(import.meta.dirname, 'support', 'l2-child.ts'), mode, name, JSON.stringify(nics)];
  const argv = options.dropNetAdmin && holdsNetAdmin ? ['setpriv', '--bounding-set', '-net_admin', '--inh-caps', '-net_admin', '--', ...node] : node;
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null }>((resolve) => child.on('exit', (code) => resolve({ code })));
  const event = async (name: string, budgetMs: number): Promise<Record<string, unknown>> => {
    const until = Date.now() + budgetMs;
    for (;;) {
      for (const line of output.split('\n')) {
        if (!line.startsWith('{')) continue;
        const parsed = JSON.parse(line) as Record<string, unknown>;
        if (parsed.event === name) return parsed;
        if (parsed.event === 'failed' && name !== 'failed') throw new Error(`child failed: ${String(parsed.message)}`);
      }
      if (Date.now() > until) throw new Error(`child never reported ${name}; output:\n${output}`);
      await sleep(100);
    }
  };
  return { process: child, exited, event };
}
