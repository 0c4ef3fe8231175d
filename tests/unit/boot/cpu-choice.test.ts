// vCPUs: automatic unless the caller set them (1 for snapshot boots), and every choice explained in the report.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveBootOptions } from '../../../harness/boot/boot-options.ts';
import { automaticVcpus, cpuChoice, hostVcpuSlots, maxAutomaticVcpus } from '../../../harness/boot/boot-observed-vm.ts';
import { idleCoresBetween, parseCpuTimes } from '../../../harness/qemu/host-idle.ts';

let iso: string;
const env = { HARNESS_CACHE_DIR: '/nonexistent-cache', PATH: process.env.PATH };

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cpu-choice-test-'));
  iso = join(dir, 'ok.iso');
  const isoBytes = Buffer.alloc(0x8800);
  isoBytes.write('CD001', 0x8001, 'latin1');
  await writeFile(iso, isoBytes);
});

describe('vCPU choice', () => {
  it.each([
    ['unset', {}, 'auto'],
    ['set by the caller', { cpus: 3 }, 3],
    ['unset on a snapshot boot', { snapshotable: true }, 1],
    ['set on a snapshot boot', { snapshotable: true, cpus: 2 }, 2],
  ] as const)('%s → %s', async (_label, options, expected) => {
    const plan = await resolveBootOptions({ iso, env, ...options });
    expect(plan.cpus).toBe(expected);
  });

  it('the report says how many, who chose and why', () => {
    const automatic = cpuChoice({ cpus: 'auto' }, {}, { vcpus: 2, capacity: 2, waitedMs: 3 }, 1.8);
    expect(automatic).toMatchObject({ count: 2, chosenBy: 'automatic', waitedMs: 3 });
    expect(automatic.reason).toContain('1.8 host cores idle, 2 of 2 host vCPU slots held');
    expect(automatic.reason).toContain(`1 to ${maxAutomaticVcpus}`);
    const waited = cpuChoice({ cpus: 'auto' }, {}, { vcpus: 1, capacity: 2, waitedMs: 4200 });
    expect(waited.reason).toContain('after waiting 4.2 s for free slots');
    const caller = cpuChoice({ cpus: 4 }, { cpus: 4 }, { vcpus: 2, capacity: 2, waitedMs: 0 });
    expect(caller).toMatchObject({ count: 4, chosenBy: 'caller' });
    expect(caller.reason).toContain('holds all 2 slots');
    expect(cpuChoice({ cpus: 1 }, {}, { vcpus: 1, capacity: 2, waitedMs: 0 }).chosenBy).toBe('snapshot');
  });

  it('an automatic choice asks for the idle cores, rounded, 1 to the maximum', () => {
    expect([0, 0.4, 1.4, 1.6, 2, 7.9].map(automaticVcpus)).toEqual([1, 1, 1, 2, 2, maxAutomaticVcpus]);
  });

  it('idle cores come from two /proc/stat readings (idle and iowait over all time)', () => {
    const before = 'cpu  1000 0 100 800 100 0 0 0 0 0\ncpu0 1 2 3\n';
    // 400 jiffies pass, 100 of them idle: a quarter of 2 cores.
    const after = 'cpu  1250 0 150 880 120 0 0 0 0 0\n';
    expect(parseCpuTimes(before)).toEqual({ idle: 900, total: 2000 });
    expect(idleCoresBetween(before, after, 2)).toBeCloseTo(0.5);
    expect(idleCoresBetween(before, before, 2)).toBe(2);
  });

  it('HARNESS_MAX_VCPUS sets the host slots; anything but a positive integer means one per CPU', () => {
    expect(hostVcpuSlots({ HARNESS_MAX_VCPUS: '3' })).toBe(3);
    const perCpu = hostVcpuSlots({});
    expect(perCpu).toBeGreaterThanOrEqual(1);
    expect(hostVcpuSlots({ HARNESS_MAX_VCPUS: '0' })).toBe(perCpu);
    expect(hostVcpuSlots({ HARNESS_MAX_VCPUS: 'many' })).toBe(perCpu);
  });
});
