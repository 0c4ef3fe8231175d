// Comparing two recorded runs: noise masked (timestamps, addresses, MACs, ports, keys, markers), the
// changed check named, phases side by side, QEMU argument and image differences, the first real divergence.
import { readFileSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BootReport } from '../../../harness/boot/boot-report.ts';
import { maskConsoleNoise, normaliseConsole } from '../../../harness/compare/console-noise.ts';
import { compareRuns, firstDivergence, normaliseArgv, type RecordedRun, vcpuChangePrintkRun } from '../../../harness/compare/run-comparison.ts';
import { renderComparisonMarkdown, renderComparisonText } from '../../../harness/compare/comparison-text.ts';
import { loadRun, locateRun } from '../../../harness/compare/load-run.ts';
import { main } from '../../../harness/cli/main.ts';
import type { CliIO } from '../../../harness/cli/cli-io.ts';
import { UsageError } from '../../../harness/errors.ts';

/** A console.txt recorded by a real boot, kept in fixtures/consoles/. */
const recorded = (name: string) => readFileSync(new URL(`../../../fixtures/consoles/${name}`, import.meta.url), 'utf8').split('\n');

/** The recorded console with its DHCP lease turned into a failure, and the index of that line. */
function leaseLost(lines: string[]): { lease: number; noLease: string[] } {
  const lease = lines.findIndex((line) => line.includes('udhcpc: lease of'));
  return { lease, noLease: lines.map((line, index) => (index === lease ? line.replace(/udhcpc: lease of .*/, 'udhcpc: no lease, failing') : line)) };
}

describe('maskConsoleNoise', () => {
  it.each([
    ['harness and printk timestamps', '[    1.280] [    0.000000] Linux version 6.1.0-57-cloud-amd64', '[<time>] Linux version 6.1.0-57-cloud-amd64'],
    ['MAC addresses', '[    8.166] 2: lan: link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff', '2: lan: link/ether <mac> brd <mac>'],
    ['forwarded ports', '[    9.000] Accepted publickey for root from 10.0.2.2:43122 port 43122 ssh2', 'Accepted publickey for root from 10.0.2.2:<port> port <port> ssh2'],
    ['SSH keys', '[    9.100] ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFPNuMwqB1cu6gH/PGTdK+lmgwPX6fR3Gf0qxT21059A boot-harness-a', 'ssh-ed25519 <key> boot-harness-<run>'],
    ['a key on the kernel command line', '[    1.280] [    0.000000] Command line: console=ttyS0 pre_nixos.root_key=c3NoLWVkMjU1MTkgQUFBQUMzTnphQzFsWkRJMU5URTVBQUFBSUZQ', '[<time>] Command line: console=ttyS0 pre_nixos.root_key=<blob>'],
    ['key fingerprints', 'Server host key: SHA256:4Vq1mEq2fOQ7rVbC3c3x2mZl1bS0yW3rXx9YbPq0Fh8', 'Server host key: SHA256:<fingerprint>'],
    ['memory addresses', '[    1.281] [    0.000000] BIOS-e820: [mem 0x0000000000100000-0x000000001ffdffff] usable', '[<time>] BIOS-e820: [mem 0x<hex>-0x<hex>] usable'],
    ['the harness markers and prompt', `[    7.811] <hp-TWGEGKLUGC># echo 'QXHWH''HJVNZ''{'; eval 'echo x'; echo "}""QXHWH""HJVNZ"" $?"`, `<hp-<marker>># echo <marker>'{'; eval 'echo x'; echo "}"<marker>" $?"`],
    ['markers in a quoted script', `[    9.200] <hp-TWGEGKLUGC># echo 'QXHWH''HJVNZ''{'; eval '( _h='\\''SESEJ'\\'''\\''UQZMO'\\''; _i=0 )'`, `<hp-<marker>># echo <marker>'{'; eval '( _h=<marker>; _i=0 )'`],
    ['ISO 8601 times', "UPDATED=2026-12-03T19:40:03Z label 'PRE-NIXOS-APPLIED 2026-12-03T19:05:11Z' 2026-12-03T19:40:27+00:00 pre-nixos", "UPDATED=<date-time> label 'PRE-NIXOS-APPLIED <date-time>' <date-time> pre-nixos"],
    ['monotonic clock readings', 'ExecMainExitTimestampMonotonic=14679638', 'ExecMainExitTimestampMonotonic=<n>'],
    ['batched check frames', '[    9.300] }0SESEJUQZMO 0', '}0<marker> 0'],
    ['marker frames', '[    7.836] }QXHWHHJVNZ 0', '}<marker> 0'],
    ['lease lifetimes and calibration', '[    8.276] inet 10.0.2.15/24 valid_lft 86399sec tsc: 2399.998 MHz', 'inet 10.0.2.15/24 valid_lft <n> sec tsc: <n> MHz'],
    ['PIDs', '[    9.000] sshd[123]: Server listening on 0.0.0.0 port 22.', 'sshd[<pid>]: Server listening on 0.0.0.0 port <port>.'],
    ["the budget left for the harness's wait for the system state", "[   12.300] for _c in '\\''timeout 143 systemctl is-system-running --wait 2>&1'\\''", "for _c in '\\''timeout <n> systemctl is-system-running --wait 2>&1'\\''"],
    ['the echoed answer to the cursor position query', '[   11.173] ^[[25;21R<hp-VBNCYOZKES># echo x', '<hp-<marker>># echo x'],
    ["iPXE's packet counters at link-up", '[    4.100]   [Link:up, TX:1 TXE:0 RX:1 RXE:0]', '  [Link:up, TX:<n> TXE:<n> RX:<n> RXE:<n>]'],
    ["iPXE's dots while it waits for DHCP", '[    4.200] Configuring (net0 52:54:00:12:34:56)........ ok', 'Configuring (net0 <mac>)... ok'],
    ['NO-CARRIER right after the link came up', '[   12.188] pre-nixos[111]:   2: lan: <NO-CARRIER,BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500', 'pre-nixos[<pid>]:   2: lan: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500'],
  ])('masks %s', (_what, line, masked) => {
    expect(maskConsoleNoise(line)).toBe(masked);
  });

  it('keeps what matters: addresses, versions, service results', () => {
    for (const line of ['udhcpc: lease of 10.0.2.15 obtained', 'Linux version 6.1.0-57-cloud-amd64', "[FAILED] Failed to start pre-nixos.service."]) {
      expect(maskConsoleNoise(line)).toBe(line);
    }
  });
});

const dir = '/logs/2026-12-01T03-23-00Z-nightly';
function report(overrides: Partial<BootReport> = {}, logDir = dir): BootReport {
  return {
    name: 'nightly',
    startedAt: '2026-12-01T03:23:00.000Z',
    image: { kind: 'iso', iso: '/images/pre-nixos.iso' },
    imageIdentity: { files: [{ role: 'iso', path: '/images/pre-nixos.iso', sha256: 'a'.repeat(64), sizeBytes: 1000 }], volumeId: 'PRE_NIXOS_1' },
    accelerator: { accel: 'tcg', requested: 'auto', kvmUsable: false, reason: 'KVM unusable', fromCache: true },
    timeoutScale: { factor: 1.4, requested: 'auto', source: 'default', reason: 'auto' },
    keyInjection: 'smbios',
    phases: [
      { phase: 'qemu', atMs: 0, evidence: '' },
      { phase: 'kernel', atMs: 2000, evidence: '[    0.000000] Linux version 6.1.0-57-cloud-amd64 (gcc)' },
      { phase: 'userspace', atMs: 6000, evidence: '' },
      { phase: 'prompt', atMs: 8000, evidence: '' },
      { phase: 'stopped', atMs: 9000, evidence: '' },
    ],
    qemu: { argv: ['/usr/bin/qemu-system-x86_64', '-m', '512', '-smp', '1', '-chardev', `stdio,id=console0,logfile=${logDir}/console.raw`, '-qmp', 'unix:/tmp/boot-harness-Ab12Cd/qmp.sock,server=on', '-netdev', 'user,id=net0,hostfwd=tcp:127.0.0.1:40123-:22'], pid: 1 },
    sshPort: 40123,
    checks: [
      { id: 'unit-pre-nixos', title: 'pre-nixos service succeeded', passed: true, verdict: 'active', evidence: [], durationMs: 10 },
      { id: 'nic-renamed', title: 'primary NIC renamed to lan', passed: true, verdict: 'lan present', evidence: [], durationMs: 10 },
    ],
    passed: true,
    logs: { dir: logDir, consoleRaw: '', consoleText: '', qemuStderr: '', qemuArgv: '', report: '' },
    ...overrides,
  };
}

const goodConsole = [
  '[    2.000] [    0.000000] Linux version 6.1.0-57-cloud-amd64 (gcc)',
  '[    2.100] [    0.012345] tsc: Detected 2399.998 MHz processor',
  '[    3.000] [    1.100000] virtio_net virtio0: link/ether 52:54:00:12:34:56',
  '[    6.000] [  OK  ] Started pre-nixos.service.',
  '[    7.000] pre-nixos: done (storage=plan-only, lan=yes, ssh=yes)',
  '[    8.000] <hp-TWGEGKLUGC># echo ok',
];

describe('compareRuns', () => {
  const before: RecordedRun = { dir, report: report(), consoleLines: goodConsole };
  const afterDir = '/logs/2026-12-02T03-23-00Z-nightly';
  const after: RecordedRun = {
    dir: afterDir,
    report: report(
      {
        startedAt: '2026-12-02T03:23:00.000Z',
        imageIdentity: { files: [{ role: 'iso', path: '/images/pre-nixos.iso', sha256: 'b'.repeat(64), sizeBytes: 1200 }], volumeId: 'PRE_NIXOS_2' },
        phases: [
          { phase: 'qemu', atMs: 0, evidence: '' },
          { phase: 'kernel', atMs: 2000, evidence: '[    0.000000] Linux version 6.1.0-58-cloud-amd64 (gcc)' },
          { phase: 'userspace', atMs: 12_000, evidence: '' },
          { phase: 'prompt', atMs: 14_000, evidence: '' },
          { phase: 'stopped', atMs: 15_000, evidence: '' },
        ],
        qemu: { ...report().qemu, argv: [...report({}, afterDir).qemu.argv.map((arg) => arg.replace('40123', '41999').replace('Ab12Cd', 'Zz99Yy')), '-device', 'virtio-balloon-pci'] },
        checks: [
          { id: 'unit-pre-nixos', title: 'pre-nixos service succeeded', passed: false, verdict: 'failed: exit-code', evidence: [], durationMs: 10 },
          { id: 'nic-renamed', title: 'primary NIC renamed to lan', passed: true, verdict: 'lan present', evidence: [], durationMs: 10 },
        ],
        passed: false,
      },
      afterDir,
    ),
    consoleLines: [
      '[    2.400] [    0.000000] Linux version 6.1.0-57-cloud-amd64 (gcc)',
      '[    2.500] [    0.013001] tsc: Detected 2400.012 MHz processor',
      '[    3.900] [    1.300000] virtio_net virtio0: link/ether 52:54:00:ab:cd:ef',
      '[    4.000] random: crng init done',
      '[   11.000] [FAILED] Failed to start pre-nixos.service.',
      "[   11.100] See 'systemctl status pre-nixos.service' for details.",
    ],
  };
  const comparison = compareRuns(before, after);

  it('names the check that changed, and only that one', () => {
    expect(comparison.checks.filter((check) => check.changed)).toEqual([
      { id: 'unit-pre-nixos', title: 'pre-nixos service succeeded', before: 'passed', after: 'failed', verdictBefore: 'active', verdictAfter: 'failed: exit-code', changed: true },
    ]);
    expect(comparison.before.passed).toBe(true);
    expect(comparison.after.passed).toBe(false);
  });

  it('puts phase durations side by side with the change in per cent', () => {
    expect(comparison.phases.find((phase) => phase.phase === 'userspace')).toMatchObject({ durationBeforeMs: 2000, durationAfterMs: 2000, changePercent: 0 });
    expect(comparison.phases.find((phase) => phase.phase === 'kernel')).toMatchObject({ durationBeforeMs: 4000, durationAfterMs: 10_000, changePercent: 150 });
  });

  it('QEMU arguments: the added device, not the run dir, log folder or port', () => {
    expect(comparison.qemuArguments).toEqual({ removed: [], added: ['-device virtio-balloon-pci'] });
  });

  it('image identity: different digests, volume ids and kernel versions', () => {
    expect(comparison.image.same).toBe(false);
    expect(comparison.image.before).toMatchObject({ volumeId: 'PRE_NIXOS_1', kernelVersion: '6.1.0-57-cloud-amd64' });
    expect(comparison.image.after).toMatchObject({ volumeId: 'PRE_NIXOS_2', kernelVersion: '6.1.0-58-cloud-amd64' });
  });

  it('the first console divergence is the failed service, past timestamp, MAC and crng noise', () => {
    expect(comparison.console).toMatchObject({
      lineBefore: 4,
      lineAfter: 5,
      textBefore: '[  OK  ] Started pre-nixos.service.',
      textAfter: '[FAILED] Failed to start pre-nixos.service.',
      commonContext: ['[<time>] Linux version 6.1.0-57-cloud-amd64 (gcc)', '[<time>] tsc: Detected <n> MHz processor', '[<time>] virtio_net virtio0: link/ether <mac>'],
    });
  });

  it('identical runs apart from noise do not diverge', () => {
    const again = goodConsole.map((line) => line.replace('52:54:00:12:34:56', '52:54:00:65:43:21').replace(/^\[\s*[\d.]+\]/, '[   99.999]'));
    expect(firstDivergence(normaliseConsole(goodConsole), normaliseConsole(again))).toBeUndefined();
  });

  it('steps over timing-dependent kernel lines in one run only, never a warning or a userspace line', () => {
    const noisy = [...goodConsole.slice(0, 2), '[    2.200] [    0.300000] APIC calibration not consistent with PM-Timer: 139ms instead of 100ms', '[    2.210] [    0.300100] APIC delta adjusted to PM-Timer: 6249596 (5862438)', ...goodConsole.slice(2)];
    expect(firstDivergence(normaliseConsole(goodConsole), normaliseConsole(noisy))).toBeUndefined();
    const calibration = [goodConsole[0]!, '[    2.050] [    0.000000] tsc: Fast TSC calibration failed', ...goodConsole.slice(1)];
    expect(firstDivergence(normaliseConsole(calibration), normaliseConsole(goodConsole))).toBeUndefined();
    const otherCalibration = [goodConsole[0]!, '[    2.050] [    0.000000] tsc: Fast TSC calibration using PIT', '[    2.060] [    0.000000] tsc: Detected 2399.998 MHz processor', ...goodConsole.slice(2)];
    expect(firstDivergence(normaliseConsole(calibration), normaliseConsole(otherCalibration))).toBeUndefined();
    const swapped = [goodConsole[0]!, goodConsole[2]!, goodConsole[1]!, ...goodConsole.slice(3)];
    expect(firstDivergence(normaliseConsole(goodConsole), normaliseConsole(swapped))).toBeUndefined();
    const warned = [...goodConsole.slice(0, 2), '[    2.200] [    0.300000] WARNING: CPU: 0 PID: 1 at mm/slub.c:123', ...goodConsole.slice(2)];
    expect(firstDivergence(normaliseConsole(goodConsole), normaliseConsole(warned))).toMatchObject({ lineAfter: 3, textAfter: '[<time>] WARNING: CPU: 0 PID: <pid> at mm/slub.c:123' });
    const extraUserspace = [...goodConsole.slice(0, 4), 'pre-nixos: retrying disk probe', ...goodConsole.slice(4)];
    expect(firstDivergence(normaliseConsole(goodConsole), normaliseConsole(extraUserspace))).toMatchObject({ textAfter: 'pre-nixos: retrying disk probe' });
  });

  it('leaves out the TSC refinement wherever it lands, but not the initcall switch to tsc-early', () => {
    const refinement = [
      '[    3.050] [    1.050000] tsc: Refined TSC clocksource calibration: 2095.981 MHz',
      '[    3.051] [    1.050100] clocksource: tsc: mask: 0xffffffffffffffff max_cycles: 0x1e365bdd8c2, max_idle_ns: 440795280166 ns',
      '[    3.052] [    1.050200] clocksource: Switched to clocksource tsc',
    ];
    const kernel = [
      '[    2.000] [    0.000000] Linux version 6.1.0-57-cloud-amd64 (gcc)',
      '[    2.500] [    0.500000] clocksource: Switched to clocksource tsc-early',
      '[    2.600] [    0.600000] Write protecting the kernel read-only data: 26624k',
      '[    2.601] [    0.600100] Freeing unused kernel image (text/rodata gap) memory: 2040K',
      '[    2.602] [    0.600200] Freeing unused kernel image (rodata/data gap) memory: 1892K',
      '[    2.603] [    0.600300] x86/mm: Checked W+X mappings: passed, no W+X pages found.',
      '[    2.700] [    0.700000] Run /init as init process',
    ];
    // As in a CI run: the refinement before the four initcall lines in one run, after them in the other.
    const early = [...kernel.slice(0, 2), ...refinement, ...kernel.slice(2)];
    const late = [...kernel.slice(0, 6), ...refinement, ...kernel.slice(6)];
    expect(firstDivergence(normaliseConsole(early), normaliseConsole(late))).toBeUndefined();
    expect(firstDivergence(normaliseConsole(early), normaliseConsole(kernel))).toBeUndefined();
    const noEarlySwitch = kernel.filter((line) => !line.includes('tsc-early'));
    expect(normaliseConsole(noEarlySwitch).length).toBe(normaliseConsole(kernel).length - 1);
    const watchdog = [...kernel.slice(0, 3), "[    2.650] [    0.650000] clocksource: timekeeping watchdog on CPU0: Marking clocksource 'tsc' as unstable because the skew is too large:", "[    2.651] [    0.650100] clocksource:                       'hpet' wd_nsec: 503996017 wd_now: 2bd1a2d7 wd_last: 2b5e0b8e mask: ffffffff", '[    2.652] [    0.650200] clocksource: Switched to clocksource hpet', ...kernel.slice(3)];
    expect(firstDivergence(normaliseConsole(kernel), normaliseConsole(watchdog))).toBeUndefined();
  });

  it('steps over kernel lines printed at another place in the other run, however far, but not a moved warning', () => {
    const probe = '[    3.300] [    1.300000] SCSI subsystem initialized';
    const userspace = Array.from({ length: 8 }, (_, n) => `[    3.${400 + n}] [    1.${400 + n}000] systemd[1]: Finished unit-${n}.service.`);
    const early = [...goodConsole.slice(0, 3), probe, ...userspace, ...goodConsole.slice(3)];
    const late = [...goodConsole.slice(0, 3), ...userspace, probe, ...goodConsole.slice(3)];
    expect(firstDivergence(normaliseConsole(early), normaliseConsole(late))).toBeUndefined();
    expect(firstDivergence(normaliseConsole(late), normaliseConsole(early))).toBeUndefined();
    // A block of five async probe lines, more than any run of lines in one run only.
    const probes = Array.from({ length: 5 }, (_, n) => `[    3.30${n}] [    1.30${n}000] sd 0:0:${n}:0: Attached scsi generic sg${n} type 5`);
    const blockEarly = [...goodConsole.slice(0, 3), ...probes, ...userspace, ...goodConsole.slice(3)];
    const blockLate = [...goodConsole.slice(0, 3), ...userspace, ...probes, ...goodConsole.slice(3)];
    expect(firstDivergence(normaliseConsole(blockEarly), normaliseConsole(blockLate))).toBeUndefined();
    const failedLate = [...blockLate.slice(0, -3), '[   11.000] [FAILED] Failed to start pre-nixos.service.'];
    expect(firstDivergence(normaliseConsole(blockEarly), normaliseConsole(failedLate))).toMatchObject({ lineAfter: failedLate.length, toleratedLines: 5, textAfter: '[FAILED] Failed to start pre-nixos.service.' });
    // Two lines that swapped places across the block, each way.
    const other = '[    3.301] [    1.300100] ata1: SATA link down';
    const crossed = [...goodConsole.slice(0, 3), other, ...userspace, probe, ...goodConsole.slice(3)];
    const crossedBack = [...goodConsole.slice(0, 3), probe, ...userspace, other, ...goodConsole.slice(3)];
    expect(firstDivergence(normaliseConsole(crossed), normaliseConsole(crossedBack))).toBeUndefined();
    // A warning in one run only is a divergence, also among moved lines.
    const warning = '[    3.300] [    1.300000] WARNING: CPU: 0 PID: 1 at drivers/scsi/scsi.c:99';
    const warnedLate = [...goodConsole.slice(0, 3), ...userspace, warning, probe, ...goodConsole.slice(3)];
    expect(firstDivergence(normaliseConsole(early), normaliseConsole(warnedLate))).toMatchObject({ lineBefore: 13, lineAfter: 12, textAfter: '[<time>] WARNING: CPU: 0 PID: <pid> at drivers/scsi/scsi.c:99' });
    // systemd's progress in the kernel log, any amount of it in one run only (it stops when journald is up),
    // but not its failures.
    const getty = 'Debian GNU/Linux 12 pre-nixos ttyS0';
    const journaldLate = [...goodConsole.slice(0, 3), ...userspace, getty, ...goodConsole.slice(3)];
    const journaldEarly = [...goodConsole.slice(0, 3), getty, ...goodConsole.slice(3)];
    expect(firstDivergence(normaliseConsole(journaldEarly), normaliseConsole(journaldLate))).toBeUndefined();
    const unitFailed = '[    3.500] [    1.500000] systemd[1]: Failed to start pre-nixos.service - pre-nixos.';
    expect(firstDivergence(normaliseConsole(journaldEarly), normaliseConsole([...journaldLate.slice(0, 5), unitFailed, ...journaldLate.slice(5)]))).toMatchObject({ lineAfter: 6 });
    // Beyond the reach, a line in one run only is a divergence again when there are more than three.
    const far = Array.from({ length: 5 }, (_, n) => `[    4.00${n}] [    2.00${n}000] virtio_blk virtio${n}: [vd${n}] 16 512-byte logical blocks`);
    expect(firstDivergence(normaliseConsole(goodConsole), normaliseConsole([...goodConsole.slice(0, 3), ...far, ...goodConsole.slice(3)]))).toMatchObject({ lineAfter: 4 });
  });

  it('two good boots of the systemd flavour (GRUB ISO, 1 vCPU, TCG) do not diverge; a failed unit in one does', () => {
    // Recorded by `harness boot --iso .cache/fixtures/systemd/systemd.iso` twice in a row: GRUB, the kernel,
    // systemd's units in parallel, the getty, the harness's shell and batched checks, run names and markers.
    const a = recorded('systemd-grub-a.txt');
    const b = recorded('systemd-grub-b.txt');
    expect(firstDivergence(normaliseConsole(a), normaliseConsole(b))).toBeUndefined();
    const getty = b.findIndex((line) => line.includes('Debian GNU/Linux 12 pre-nixos ttyS0'));
    const failed = [...b.slice(0, getty), '[   19.000] [    9.000000] systemd[1]: Failed to start pre-nixos.service - pre-nixos.', ...b.slice(getty)];
    expect(firstDivergence(normaliseConsole(a), normaliseConsole(failed))).toMatchObject({ lineAfter: getty + 1, textAfter: '[<time>] systemd[<pid>]: Failed to start pre-nixos.service - pre-nixos.' });
  });

  it('two good boots through an iPXE TFTP chain do not diverge; a lease that never came does', () => {
    // Recorded by `harness boot --ipxe --tftp` twice in a row. Only the first one echoed the harness's answer to
    // the cursor position query; only the second one printed "link becomes ready" between two prompts as the
    // harness took the shell over, and NO-CARRIER in pre-nixos's `ip addr`.
    const a = recorded('ipxe-tftp-a.txt');
    const b = recorded('ipxe-tftp-b.txt');
    expect(firstDivergence(normaliseConsole(a), normaliseConsole(b))).toBeUndefined();
    // On a slower host the budgets scale, and with them the harness's wait for the system state.
    const scaled = b.map((line) => line.replace(/timeout \d+ systemctl/, 'timeout 191 systemctl'));
    expect(scaled).not.toEqual(b);
    expect(firstDivergence(normaliseConsole(a), normaliseConsole(scaled))).toBeUndefined();
    const { lease, noLease } = leaseLost(b);
    expect(firstDivergence(normaliseConsole(a), normaliseConsole(noLease))).toMatchObject({ lineAfter: lease + 1 });
  });

  it('a 2-vCPU boot against a 1-vCPU one: the CPU bring-up is stepped over when the reports say the count changed', () => {
    // `harness boot` on an idle host (2 vCPUs chosen) and beside a busy loop (1 vCPU chosen): the kernel
    // brings up its CPUs differently (mtrr's lines about CPUs, the TSC calibrated against HPET).
    const two = recorded('default-iso-2-vcpus.txt');
    const one = recorded('default-iso-1-vcpu.txt');
    expect(firstDivergence(normaliseConsole(two), normaliseConsole(one))).toBeDefined();
    expect(firstDivergence(normaliseConsole(two), normaliseConsole(one), { printkRun: vcpuChangePrintkRun })).toBeUndefined();
    const run = (consoleLines: string[], smp: string): RecordedRun => ({ dir, consoleLines, report: report({ qemu: { ...report().qemu, argv: report().qemu.argv.map((arg, index, argv) => (argv[index - 1] === '-smp' ? smp : arg)) }, cpus: { count: Number(smp), chosenBy: 'automatic', reason: 'idle host cores', waitedMs: 0 } }) });
    const changed = compareRuns(run(two, '2'), run(one, '1'));
    expect(changed.vcpus).toEqual({ before: 2, after: 1, chosenBefore: 'automatic', chosenAfter: 'automatic', changed: true });
    expect(changed.console).toBeUndefined();
    expect(renderComparisonText(changed)).toContain('vCPUs: 2 (automatic) → 1 (automatic)  (changed: the kernel brings up its CPUs differently');
    expect(renderComparisonMarkdown(changed)).toContain('- vCPUs: 2 (automatic) → 1 (automatic)');
    // The same count on both sides keeps the usual three lines: the bring-up is then a divergence.
    const same = compareRuns(run(two, '1'), run(one, '1'));
    expect(same.vcpus.changed).toBe(false);
    expect(same.console).toBeDefined();
    // A failure after the bring-up is still found.
    const { lease, noLease } = leaseLost(one);
    expect(compareRuns(run(two, '2'), run(noLease, '1')).console).toMatchObject({ lineAfter: lease + 1 });
  });

  it('a console that ends early diverges at its end', () => {
    const divergence = firstDivergence(normaliseConsole(goodConsole), normaliseConsole(goodConsole.slice(0, 3)));
    expect(divergence).toMatchObject({ lineBefore: 4, lineAfter: undefined, followingAfter: [] });
  });

  it('text and Markdown name the changed check and the diverging lines', () => {
    const text = renderComparisonText(comparison);
    expect(text).toMatch(/! pre-nixos service succeeded\s+passed\s+→ failed\s+failed: exit-code/);
    expect(text).toMatch(/kernel\s+4\.00 s →\s+10\.00 s\s+\+150%/);
    expect(text).toMatch(/- \[  OK  \] Started pre-nixos.service.\n[\s\S]*\+ \[FAILED\] Failed to start pre-nixos.service./);
    expect(text).toMatch(/\+ -device virtio-balloon-pci/);
    const markdown = renderComparisonMarkdown(comparison);
    expect(markdown).toMatch(/^## Compared with the last good run: PASSED → FAILED/);
    expect(markdown).toMatch(/\| \*\*pre-nixos service succeeded\*\* \| ✓ passed \| ✗ failed: failed: exit-code \|/);
    expect(markdown).toMatch(/\| kernel \| 4\.00 s \| 10\.00 s \| \+150% \|/);
    expect(markdown).toContain('+ [FAILED] Failed to start pre-nixos.service.');
  });

  it('normaliseArgv pairs options with values', () => {
    expect(normaliseArgv(report())).toContain('-qmp unix:<run-dir>/qmp.sock,server=on');
  });

  it("normaliseArgv masks the chain server's port in the iPXE bootfile, not its path", () => {
    const chained = (url: string) => report({ qemu: { ...report().qemu, argv: ['/usr/bin/qemu-system-x86_64', '-netdev', `user,id=net0,hostfwd=tcp:127.0.0.1:40123-:22,bootfile=${url}`] } });
    expect(normaliseArgv(chained('http://10.0.2.2:46623/boot.ipxe'))).toEqual(normaliseArgv(chained('http://10.0.2.2:41441/boot.ipxe')));
    expect(normaliseArgv(chained('http://10.0.2.2:46623/boot.ipxe'))).toEqual(['-netdev user,id=net0,hostfwd=tcp:127.0.0.1:<port>-:22,bootfile=http://10.0.2.2:<port>/boot.ipxe']);
    expect(normaliseArgv(chained('http://10.0.2.2:46623/other.ipxe'))).not.toEqual(normaliseArgv(chained('http://10.0.2.2:46623/boot.ipxe')));
  });
});

describe('harness compare on recorded run folders', () => {
  let root: string;
  afterAll(() => rm(root, { recursive: true, force: true }));

  async function record(name: string, value: BootReport, consoleLines: string[]): Promise<string> {
    const runDir = join(root, name);
    await mkdir(runDir, { recursive: true });
    await writeFile(join(runDir, 'report.json'), JSON.stringify(value));
    await writeFile(join(runDir, 'console.txt'), `${consoleLines.join('\n')}\n`);
    return runDir;
  }

  async function cli(args: string[]) {
    let stdout = '';
    let stderr = '';
    const io: CliIO = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), isTTY: false, env: {}, cwd: root };
    return { code: await main(args, io), stdout: () => stdout, stderr: () => stderr };
  }

  it('compares by folder and by name, in text, JSON and Markdown; bad input exits 2', async () => {
    root = await mkdtemp(join(tmpdir(), 'compare-cli-'));
    await record('2026-12-01T03-23-00Z-nightly', report({}, join(root, '2026-12-01T03-23-00Z-nightly')), goodConsole);
    const bad = report({ passed: false, checks: [{ ...report().checks[0]!, passed: false, verdict: 'failed' }, report().checks[1]!] });
    const badDir = await record('2026-12-02T03-23-00Z-broken', bad, goodConsole.slice(0, 3).concat(['[FAILED] Failed to start pre-nixos.service.']));

    const json = await cli(['compare', 'nightly', badDir, '--json', '--log-dir', root]);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout());
    expect(parsed.checks.filter((check: { changed: boolean }) => check.changed).map((check: { id: string }) => check.id)).toEqual(['unit-pre-nixos']);
    expect(parsed.console.textAfter).toBe('[FAILED] Failed to start pre-nixos.service.');

    const markdown = await cli(['compare', 'nightly', 'broken', '--markdown', '--log-dir', root]);
    expect(markdown.stdout()).toMatch(/^## Compared with the last good run/);

    const missing = await cli(['compare', 'nightly', 'no-such-run', '--log-dir', root]);
    expect(missing.code).toBe(2);
    expect(missing.stderr()).toMatch(/run `no-such-run`: is neither a folder nor the name of a run[\s\S]*Fix:/);

    const notARun = await cli(['compare', root, badDir]);
    expect(notARun.code).toBe(2);
    expect(notARun.stderr()).toMatch(/has no report\.json[\s\S]*Fix:/);
    await expect(loadRun(root)).rejects.toThrow(UsageError);
    expect(await locateRun('broken', { cwd: root, logRoot: root })).toBe(badDir);
  });
});
