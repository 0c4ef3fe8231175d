import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../../harness/errors.ts';
import {
  acceleratorCacheFile,
  chooseAccelerator,
  kvmProbeArgs,
  parseAcceleratorRequest,
  probeKvm,
  type AcceleratorProbeSystem,
  type GuestRunResult,
  type HostFacts,
} from '../../../harness/qemu/accelerator-probe.ts';

const host: HostFacts = { hostname: 'vm', kernelRelease: '6.18.44', qemuBinary: '/usr/bin/qemu-system-x86_64', qemuVersion: 'QEMU emulator version 7.2.22', kvmDevice: '2792' };

const outcomes = {
  works: { matched: true, elapsedMs: 412, exitCode: null, signal: null, stderrTail: '' },
  crawls: { matched: false, elapsedMs: 3000, exitCode: null, signal: null, stderrTail: "qemu-system-x86_64: warning: host doesn't support requested feature: CPUID.01H:ECX.pni [bit 0]\n" },
  aborts: {
    matched: false,
    elapsedMs: 100,
    exitCode: null,
    signal: 'SIGABRT',
    stderrTail: 'qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69\nqemu-system-x86_64: kvm.c:3183: Assertion failed.\n',
  },
  exits: { matched: false, elapsedMs: 50, exitCode: 1, signal: null, stderrTail: 'qemu-system-x86_64: -accel kvm: Could not access KVM kernel module: No such file or directory\n' },
} satisfies Record<string, GuestRunResult>;

function fakeSystem(options: { deviceProblem?: string; outcome?: GuestRunResult; facts?: Partial<HostFacts> } = {}) {
  const runs: { binary: string; args: readonly string[]; timeoutMs: number }[] = [];
  const factsAsked: { qemuBinary: string; cacheDir: string }[] = [];
  const system: AcceleratorProbeSystem = {
    kvmDeviceProblem: async () => options.deviceProblem,
    runUntilOutput: async (binary, args, _pattern, timeoutMs) => {
      runs.push({ binary, args, timeoutMs });
      return options.outcome ?? outcomes.crawls;
    },
    hostFacts: async (qemuBinary, cacheDir) => (factsAsked.push({ qemuBinary, cacheDir }), { ...host, ...options.facts }),
  };
  return { system, runs, factsAsked };
}

describe('parseAcceleratorRequest', () => {
  it.each([
    [undefined, 'auto'],
    ['', 'auto'],
    ['auto', 'auto'],
    ['KVM', 'kvm'],
    [' tcg ', 'tcg'],
  ])('%j → %s', (value, expected) => {
    expect(parseAcceleratorRequest(value, '--accel')).toBe(expected);
  });

  it.each([['--accel'], ['HARNESS_ACCEL']])('names %s in the usage error', (source) => {
    expect(() => parseAcceleratorRequest('hvf', source)).toThrow(UsageError);
    expect(() => parseAcceleratorRequest('hvf', source)).toThrow(`${source}: expected auto, kvm or tcg, got \`hvf\``);
  });
});

describe('probeKvm', () => {
  it('boots the kernel alone under KVM with the serial console on stdio', async () => {
    const { system, runs } = fakeSystem({ outcome: outcomes.works });
    const result = await probeKvm({ qemuBinary: host.qemuBinary, kernelPath: '/k/vmlinuz', system });
    expect(result).toMatchObject({ usable: true, reason: 'a KVM guest printed "Linux version" after 412 ms' });
    expect(runs[0]?.args).toEqual(kvmProbeArgs('/k/vmlinuz'));
    expect(runs[0]?.args).toEqual(expect.arrayContaining(['-accel', 'kvm', '-serial', 'stdio', '-nodefaults', '-no-reboot']));
    expect(runs[0]?.args).not.toContain('-initrd');
    expect(runs[0]?.args.join(' ')).toContain('console=ttyS0 panic=-1');
    expect(runs[0]?.timeoutMs).toBe(3000);
  });

  it.each([
    ['crawls', outcomes.crawls, 'a KVM guest printed no "Linux version" within 3000 ms (TCG prints it in ~1 s)'],
    ['aborts', outcomes.aborts, 'QEMU died of SIGABRT under KVM before "Linux version": qemu-system-x86_64: kvm.c:3183: Assertion failed.'],
    ['exits', outcomes.exits, 'QEMU exited with code 1 under KVM before "Linux version": qemu-system-x86_64: -accel kvm: Could not access KVM kernel module: No such file or directory'],
  ])('reports unusable when the guest %s', async (_name, outcome, reason) => {
    const { system } = fakeSystem({ outcome });
    expect(await probeKvm({ qemuBinary: host.qemuBinary, kernelPath: '/k', system })).toMatchObject({ usable: false, reason });
  });

  it('needs no QEMU when /dev/kvm is unusable', async () => {
    const { system, runs } = fakeSystem({ deviceProblem: '/dev/kvm is absent' });
    expect(await probeKvm({ qemuBinary: host.qemuBinary, kernelPath: '/k', system })).toMatchObject({ usable: false, reason: '/dev/kvm is absent' });
    expect(runs).toEqual([]);
  });
});

describe('chooseAccelerator', () => {
  let cacheDir: string;
  beforeEach(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'accel-cache-'));
  });
  afterEach(async () => {
    await rm(cacheDir, { recursive: true, force: true });
  });
  const base = () => ({ qemuBinary: host.qemuBinary, kernelPath: '/k/vmlinuz', cacheDir });

  it('never probes when TCG is requested', async () => {
    const { system, runs } = fakeSystem();
    const verdict = await chooseAccelerator({ ...base(), requested: 'tcg', system });
    expect(verdict).toEqual({ accel: 'tcg', requested: 'tcg', kvmUsable: undefined, reason: 'TCG requested: KVM not probed', fromCache: false });
    expect(runs).toEqual([]);
  });

  it('auto: picks TCG when the probe finds KVM crawling, and caches the verdict', async () => {
    const { system, runs } = fakeSystem({ outcome: outcomes.crawls });
    const first = await chooseAccelerator({ ...base(), requested: 'auto', system });
    expect(first).toMatchObject({ accel: 'tcg', requested: 'auto', kvmUsable: false, fromCache: false, probeMs: expect.any(Number) });
    expect(first.reason).toMatch(/^KVM unusable: a KVM guest printed no "Linux version"/);
    const second = await chooseAccelerator({ ...base(), requested: 'auto', system });
    expect(second).toMatchObject({ accel: 'tcg', kvmUsable: false, fromCache: true });
    expect(second.reason).toContain('(cached verdict)');
    expect(runs).toHaveLength(1);
    const cached = JSON.parse(await readFile(join(cacheDir, acceleratorCacheFile), 'utf8'));
    expect(cached).toMatchObject({ version: 1, host, kvmUsable: false });
  });

  it('host facts are looked up with the cache dir, where an earlier process left the QEMU version', async () => {
    const { system, factsAsked } = fakeSystem();
    await chooseAccelerator({ ...base(), requested: 'auto', system });
    expect(factsAsked).toEqual([{ qemuBinary: host.qemuBinary, cacheDir }]);
  });

  it('auto: picks KVM when the probe sees the kernel banner', async () => {
    const { system } = fakeSystem({ outcome: outcomes.works });
    expect(await chooseAccelerator({ ...base(), requested: 'auto', system })).toMatchObject({ accel: 'kvm', kvmUsable: true });
  });

  it.each<[string, Partial<HostFacts>]>([
    ['hostname', { hostname: 'other' }],
    ['kernel release', { kernelRelease: '6.1.0' }],
    ['QEMU version', { qemuVersion: 'QEMU emulator version 8.2.2' }],
    ['/dev/kvm device', { kvmDevice: '2793' }],
  ])('re-probes when the %s changes', async (_what, facts) => {
    await chooseAccelerator({ ...base(), requested: 'auto', system: fakeSystem({ outcome: outcomes.crawls }).system });
    const changed = fakeSystem({ outcome: outcomes.works, facts });
    const verdict = await chooseAccelerator({ ...base(), requested: 'auto', system: changed.system });
    expect(changed.runs).toHaveLength(1);
    expect(verdict).toMatchObject({ accel: 'kvm', fromCache: false });
  });

  it('re-probes with refresh, and ignores a corrupt cache', async () => {
    const { system, runs } = fakeSystem();
    await chooseAccelerator({ ...base(), requested: 'auto', system });
    await chooseAccelerator({ ...base(), requested: 'auto', system, refresh: true });
    await writeFile(join(cacheDir, acceleratorCacheFile), '{not json');
    await chooseAccelerator({ ...base(), requested: 'auto', system });
    expect(runs).toHaveLength(3);
  });

  it('checks /dev/kvm before the cache: a lost permission is seen at once', async () => {
    await chooseAccelerator({ ...base(), requested: 'auto', system: fakeSystem({ outcome: outcomes.works }).system });
    const denied = fakeSystem({ deviceProblem: '/dev/kvm is not readable and writable by this user' });
    const verdict = await chooseAccelerator({ ...base(), requested: 'auto', system: denied.system });
    expect(verdict).toMatchObject({ accel: 'tcg', kvmUsable: false, fromCache: false, reason: 'KVM unusable: /dev/kvm is not readable and writable by this user' });
  });

  it('without a kernel says "unknown", uses TCG and caches nothing', async () => {
    const { system, runs } = fakeSystem();
    const verdict = await chooseAccelerator({ qemuBinary: host.qemuBinary, cacheDir, requested: 'auto', system });
    expect(verdict).toMatchObject({ accel: 'tcg', kvmUsable: undefined, fromCache: false });
    expect(verdict.reason).toBe('KVM usability unknown, TCG is the safe choice: no kernel to probe KVM with');
    expect(runs).toEqual([]);
    await expect(readFile(join(cacheDir, acceleratorCacheFile))).rejects.toThrow();
  });

  it('honours an explicit kvm request and says what the probe thinks', async () => {
    const { system } = fakeSystem({ outcome: outcomes.aborts });
    const verdict = await chooseAccelerator({ ...base(), requested: 'kvm', system });
    expect(verdict).toMatchObject({ accel: 'kvm', requested: 'kvm', kvmUsable: false });
    expect(verdict.reason).toContain('KVM requested although the probe says it does not work');
    const works = await chooseAccelerator({ ...base(), requested: 'kvm', system: fakeSystem({ outcome: outcomes.works }).system, refresh: true });
    expect(works.reason).toContain('KVM requested; the probe says it works');
  });
});
