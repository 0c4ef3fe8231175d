// The real doctor on this machine: QEMU present, /dev/kvm present but unusable (warn, TCG chosen), slirp works.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultVmMemoryMiB } from '../../harness/cli/doctor-command.ts';
import { runDoctor, type DoctorReport } from '../../harness/doctor/run-doctor.ts';
import { systemDoctorEnvironment } from '../../harness/doctor/system-doctor-environment.ts';

const projectDir = resolve(import.meta.dirname, '..', '..');

describe('harness doctor on this host', () => {
  it('reports the verdicts true here', { timeout: 60_000 }, async () => {
    const logDir = await mkdtemp(join(tmpdir(), 'doctor-boot-logs-'));
    const cacheDir = process.env.HARNESS_CACHE_DIR ? resolve(process.env.HARNESS_CACHE_DIR) : join(projectDir, '.cache');
    let report: DoctorReport;
    try {
      report = await runDoctor(systemDoctorEnvironment(process.env, projectDir), {
        vmMemoryMiB: defaultVmMemoryMiB,
        logDir,
        cacheDir,
        projectDir,
      });
    } finally {
      await rm(logDir, { recursive: true, force: true });
    }
    const byId = Object.fromEntries(report.checks.map((check) => [check.id, check]));
    const describeAll = report.checks.map((check) => `${check.status} ${check.id}: ${check.seen}`).join('\n');

    expect(byId['qemu.binary']?.status, describeAll).toBe('pass');
    expect(byId['qemu.devices']?.status, describeAll).toBe('pass');
    expect(byId['qemu.smoke']?.status, describeAll).toBe('pass');
    expect(byId['network.user']?.status, describeAll).toBe('pass');
    expect(byId['network.user']?.seen).toMatch(/^slirp forwards 127\.0\.0\.1:\d+ to guest port 22$/);
    expect(byId['node.pty']?.status, describeAll).toBe('pass');
    // /dev/kvm exists and QEMU initialises KVM here, but guests crawl: the doctor warns and boots use TCG.
    expect(byId.kvm?.status, describeAll).toBe('warn');
    expect(byId.kvm?.seen).toContain('/dev/kvm present');
    expect(report.accelerator).toMatchObject({ accel: 'tcg', requested: 'auto' });
    expect(report.accelerator?.kvmUsable).not.toBe(true);
    expect(report.checks.every((check) => check.status !== 'fail'), describeAll).toBe(true);
    expect(report.ok).toBe(true);
  });
});
