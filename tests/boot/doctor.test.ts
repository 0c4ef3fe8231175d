// The real doctor on this host. Its KVM verdict is whatever this host's own probe finds at test time
// (/dev/kvm absent, present but unusable, or working): the test never assumes which.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { locateDefaultImage } from '../../harness/boot/default-image.ts';
import { defaultMemoryMiB } from '../../harness/boot/boot-defaults.ts';
import { runDoctor, type DoctorReport } from '../../harness/doctor/run-doctor.ts';
import { systemDoctorEnvironment } from '../../harness/doctor/system-doctor-environment.ts';
import { kvmDevicePath, probeKvm } from '../../harness/qemu/accelerator-probe.ts';
import { qemuBinaryName } from '../../harness/qemu/qemu-binary.ts';

const projectDir = resolve(import.meta.dirname, '..', '..');

describe('harness doctor on this host', () => {
  it('reports the verdicts true here', { timeout: 60_000 }, async () => {
    const logDir = await mkdtemp(join(tmpdir(), 'doctor-boot-logs-'));
    const cacheDir = process.env.HARNESS_CACHE_DIR ? resolve(process.env.HARNESS_CACHE_DIR) : join(projectDir, '.cache');
    let report: DoctorReport;
    try {
      report = await runDoctor(systemDoctorEnvironment(process.env, projectDir), {
        vmMemoryMiB: defaultMemoryMiB,
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
    // What this host must get, from the probe itself (never from the cache the doctor may read).
    const host = existsSync(kvmDevicePath)
      ? await probeKvm({ qemuBinary: qemuBinaryName, kernelPath: (await locateDefaultImage({ cacheDir })).kernel })
      : undefined;
    if (!host) {
      expect(byId.kvm?.status, describeAll).toBe('warn');
      expect(byId.kvm?.seen).toContain('/dev/kvm absent');
      expect(report.accelerator).toMatchObject({ accel: 'tcg', requested: 'auto', kvmUsable: false });
    } else if (host.usable) {
      expect(byId.kvm?.status, `probe: ${host.reason}\n${describeAll}`).toBe('pass');
      expect(byId.kvm?.seen).toContain('KVM works');
      expect(report.accelerator).toMatchObject({ accel: 'kvm', requested: 'auto', kvmUsable: true });
    } else {
      expect(byId.kvm?.status, `probe: ${host.reason}\n${describeAll}`).toBe('warn');
      expect(byId.kvm?.seen).toMatch(/^\/dev\/kvm present but (KVM unusable|not read\/writable)/);
      expect(report.accelerator).toMatchObject({ accel: 'tcg', requested: 'auto' });
      expect(report.accelerator?.kvmUsable).not.toBe(true);
    }
    expect(report.checks.every((check) => check.status !== 'fail'), describeAll).toBe(true);
    expect(report.ok).toBe(true);
  });
});
