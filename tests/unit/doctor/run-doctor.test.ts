import { describe, expect, it } from 'vitest';
import type { DoctorCheck } from '../../../harness/doctor/doctor-check.ts';
import { doctorChecks, lookupQemu, runDoctor } from '../../../harness/doctor/run-doctor.ts';
import { sleep } from '../../../harness/util/clock.ts';
import { fakeEnvironment, testOptions } from './fake-doctor-environment.ts';

function check(id: string, run: DoctorCheck['run'], extra: Partial<DoctorCheck> = {}): DoctorCheck {
  return { id, title: `Title of ${id}`, timeoutMs: 1_000, run, ...extra };
}

const pass: DoctorCheck['run'] = async () => ({ status: 'pass', seen: 'ok', why: 'w', fix: '', command: 'c' });

describe('runDoctor', () => {
  it('keeps declaration order, counts totals and is ok without failures', async () => {
    const checks = [
      check('slow', async () => (await sleep(20), { status: 'warn', seen: 's', why: 'w', fix: 'f', command: 'c' })),
      check('fast', pass),
      check('skipped', async () => ({ status: 'skip', seen: 's', why: 'w', fix: '', command: 'c' })),
    ];
    const report = await runDoctor(fakeEnvironment(), testOptions, { checks });
    expect(report.checks.map((result) => result.id)).toEqual(['slow', 'fast', 'skipped']);
    expect(report.totals).toEqual({ pass: 1, warn: 1, fail: 0, skip: 1 });
    expect(report.ok).toBe(true);
    expect(report.checks[0]).toMatchObject({ title: 'Title of slow', status: 'warn', fix: 'f' });
    expect(report.checks[0]?.durationMs).toEqual(expect.any(Number));
  });

  it('fails a check that exceeds its time limit, and one that throws', async () => {
    const checks = [
      check('hangs', () => new Promise(() => undefined), { timeoutMs: 30 }),
      check('throws', async () => {
        throw new Error('boom\nstack');
      }),
    ];
    const report = await runDoctor(fakeEnvironment(), testOptions, { checks });
    expect(report.checks[0]).toMatchObject({ status: 'fail', seen: 'no answer after 30 ms' });
    expect(report.checks[1]).toMatchObject({ status: 'fail', seen: 'the check itself failed: boom' });
    expect(report.ok).toBe(false);
  });

  it('runs QEMU-lane checks one at a time and the others alongside', async () => {
    let inQemuLane = 0;
    let maxQemuLane = 0;
    let othersDuringQemu = 0;
    let running = 0;
    const qemuRun: DoctorCheck['run'] = async (context) => {
      inQemuLane++;
      maxQemuLane = Math.max(maxQemuLane, inQemuLane);
      await sleep(10);
      inQemuLane--;
      return pass(context);
    };
    const otherRun: DoctorCheck['run'] = async (context) => {
      running++;
      await sleep(5);
      if (inQemuLane) othersDuringQemu++;
      running--;
      return pass(context);
    };
    const checks = [
      check('q1', qemuRun, { lane: 'qemu' }),
      check('q2', qemuRun, { lane: 'qemu' }),
      check('q3', qemuRun, { lane: 'qemu' }),
      check('o1', otherRun),
      check('o2', otherRun),
    ];
    await runDoctor(fakeEnvironment(), testOptions, { checks });
    expect(maxQemuLane).toBe(1);
    expect(othersDuringQemu).toBeGreaterThan(0);
    expect(running).toBe(0);
  });

  it('hands the KVM verdict recorded by a check to the report', async () => {
    const verdict = { accel: 'tcg' as const, requested: 'auto' as const, kvmUsable: false, reason: 'KVM unusable: x', fromCache: false };
    const checks = [check('kvm', async (context) => (context.recordVerdict(verdict), pass(context)))];
    const report = await runDoctor(fakeEnvironment(), testOptions, { checks });
    expect(report.accelerator).toEqual(verdict);
  });

  it('adds the ISO checks only with --iso', () => {
    const ids = (isoPath?: string) => doctorChecks({ isoPath }).map((entry) => entry.id);
    expect(ids()).not.toContain('iso.el-torito');
    expect(ids('/x.iso')).toEqual(expect.arrayContaining(['iso.readable', 'iso.el-torito', 'iso.bootloader', 'iso.serial-console']));
    expect(new Set(ids('/x.iso')).size).toBe(ids('/x.iso').length);
  });
});

describe('lookupQemu', () => {
  it.each([
    ['PATH', {}, { 'qemu-system-x86_64': '/usr/bin/qemu-system-x86_64' }, {}, '/usr/bin/qemu-system-x86_64'],
    ['HARNESS_QEMU path', { HARNESS_QEMU: '/opt/qemu/bin/qemu-system-x86_64' }, {}, { '/opt/qemu/bin/qemu-system-x86_64': {} }, '/opt/qemu/bin/qemu-system-x86_64'],
    ['HARNESS_QEMU name', { HARNESS_QEMU: 'qemu-kvm' }, { 'qemu-kvm': '/usr/libexec/qemu-kvm' }, {}, '/usr/libexec/qemu-kvm'],
  ])('finds it through %s', async (_how, env, executables, stats, expected) => {
    expect((await lookupQemu(fakeEnvironment({ env, executables, stats }))).binary).toBe(expected);
  });

  it('says why when HARNESS_QEMU is wrong (and does not fall back to PATH)', async () => {
    const lookup = await lookupQemu(fakeEnvironment({ env: { HARNESS_QEMU: '/nope/qemu' }, executables: { 'qemu-system-x86_64': '/usr/bin/qemu-system-x86_64' } }));
    expect(lookup).toEqual({ binary: undefined, problem: 'HARNESS_QEMU=/nope/qemu is not an executable file' });
  });
});
