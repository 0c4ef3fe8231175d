import { describe, expect, it } from 'vitest';
import {
  kvmCheck,
  qemuAcceleratorsCheck,
  qemuBinaryCheck,
  qemuDevicesCheck,
  qemuSmokeCheck,
  userNetworkCheck,
} from '../../../harness/doctor/checks/qemu-checks.ts';
import { fakeContext, fakeEnvironment, runCheck } from './fake-doctor-environment.ts';

const qemu = '/usr/bin/qemu-system-x86_64';
const noQemu = { qemu: { binary: undefined, problem: 'qemu-system-x86_64 not found on PATH' } };
const deviceHelp = ['virtio-net-pci', 'virtio-rng-pci', 'virtio-serial-pci'].map((name) => `name "${name}", bus PCI`).join('\n');

describe('qemu.binary', () => {
  it.each([
    ['QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\n', 'pass'],
    ['QEMU emulator version 8.2.2\n', 'pass'],
    ['QEMU emulator version 6.2.0 (Debian)\n', 'warn'],
    ['something else\n', 'fail'],
  ])('%j → %s', async (stdout, status) => {
    const env = fakeEnvironment({ commands: { [`${qemu} --version`]: { stdout } } });
    expect((await runCheck(qemuBinaryCheck, env)).status).toBe(status);
  });

  it('fails with the lookup problem when QEMU is missing', async () => {
    const result = await runCheck(qemuBinaryCheck, fakeEnvironment(), noQemu);
    expect(result).toMatchObject({ status: 'fail', seen: 'qemu-system-x86_64 not found on PATH' });
    expect(result.fix).toContain('apt-get install');
  });
});

describe('qemu.accelerators', () => {
  it.each([
    ['Accelerators supported in QEMU binary:\ntcg\nkvm\n', 'pass'],
    ['Accelerators supported in QEMU binary:\ntcg\n', 'warn'],
    ['Accelerators supported in QEMU binary:\nkvm\n', 'fail'],
  ])('%j → %s', async (stdout, status) => {
    const env = fakeEnvironment({ commands: { [`${qemu} -accel help`]: { stdout } } });
    expect((await runCheck(qemuAcceleratorsCheck, env)).status).toBe(status);
  });

  it('skips without QEMU', async () => {
    expect((await runCheck(qemuAcceleratorsCheck, fakeEnvironment(), noQemu)).status).toBe('skip');
  });
});

describe('qemu.devices', () => {
  it('passes when all virtio devices are listed', async () => {
    const env = fakeEnvironment({ commands: { [`${qemu} -device help`]: { stdout: deviceHelp } } });
    expect((await runCheck(qemuDevicesCheck, env)).status).toBe('pass');
  });

  it('fails naming the missing device', async () => {
    const stdout = deviceHelp.replace(/.*virtio-rng-pci.*\n?/, '');
    const result = await runCheck(qemuDevicesCheck, fakeEnvironment({ commands: { [`${qemu} -device help`]: { stdout } } }));
    expect(result).toMatchObject({ status: 'fail', seen: 'missing virtio-rng-pci' });
  });
});

describe('qemu.smoke', () => {
  it('passes when QEMU answers query-status and quits cleanly', async () => {
    const env = fakeEnvironment({ qemu: () => ({ started: true, answers: { 'query-status': { status: 'prelaunch', running: false } } }) });
    const result = await runCheck(qemuSmokeCheck, env);
    expect(result).toMatchObject({ status: 'pass' });
    expect(result.seen).toContain('prelaunch');
    expect(env.calls).toContain('qemu -S -display none -nodefaults -monitor none -serial none -parallel none');
  });

  it('warns when QEMU had to be killed', async () => {
    const env = fakeEnvironment({ qemu: () => ({ started: true, stoppedCleanly: false, answers: { 'query-status': { status: 'prelaunch' } } }) });
    expect((await runCheck(qemuSmokeCheck, env)).status).toBe('warn');
  });

  it('fails with QEMU’s last stderr line when it does not start', async () => {
    const env = fakeEnvironment({ qemu: () => ({ started: false, stderr: 'qemu-system-x86_64: error while loading shared libraries: libfoo.so\n' }) });
    const result = await runCheck(qemuSmokeCheck, env);
    expect(result.status).toBe('fail');
    expect(result.seen).toContain('libfoo.so');
  });
});

describe('network.user', () => {
  const usernet =
    'Hub -1 (net0):\n  Protocol[State]    FD  Source Address  Port   Dest. Address  Port RecvQ SendQ\n  TCP[HOST_FORWARD]  12       127.0.0.1 38559       10.0.2.15    22     0     0\n';

  it('passes and reports the OS-chosen port', async () => {
    const env = fakeEnvironment({ qemu: () => ({ started: true, answers: { 'hmp info usernet': usernet } }) });
    const result = await runCheck(userNetworkCheck, env);
    expect(result).toMatchObject({ status: 'pass', seen: 'slirp forwards 127.0.0.1:38559 to guest port 22' });
    expect(env.calls.some((call) => call.includes('hostfwd=tcp:127.0.0.1:0-:22'))).toBe(true);
  });

  it('fails on an HMP error returned as a successful string', async () => {
    const env = fakeEnvironment({ qemu: () => ({ started: true, answers: { 'hmp info usernet': 'Error: no user networking\r\n' } }) });
    const result = await runCheck(userNetworkCheck, env);
    expect(result.status).toBe('fail');
    expect(result.seen).toContain('Error: no user networking');
  });

  it('fails when no forward is listed', async () => {
    const env = fakeEnvironment({ qemu: () => ({ started: true, answers: { 'hmp info usernet': 'Hub -1 (net0):\n' } }) });
    expect((await runCheck(userNetworkCheck, env)).status).toBe('fail');
  });

  it('fails when QEMU refuses -netdev user', async () => {
    const env = fakeEnvironment({
      qemu: () => ({ started: false, stderr: "qemu-system-x86_64: -netdev user,id=net0: network backend 'user' is not compiled into this binary\n" }),
    });
    const result = await runCheck(userNetworkCheck, env);
    expect(result.status).toBe('fail');
    expect(result.seen).toContain('not compiled');
  });
});

describe('kvm', () => {
  const kvmDevice = { '/dev/kvm': { kind: 'char-device' as const, rdev: 2792 } };
  const image = { kernel: '/cache/vmlinuz', kernelVersion: '6.1.0-56-cloud-amd64', iso: '/cache/default.iso' };

  it('warns without probing when /dev/kvm is absent', async () => {
    const env = fakeEnvironment();
    const context = fakeContext(env);
    const result = await kvmCheck.run(context);
    expect(result.status).toBe('warn');
    expect(result.seen).toContain('absent');
    expect(env.calls.filter((call) => call.startsWith('accel'))).toEqual([]);
    expect(context.verdicts[0]).toMatchObject({ accel: 'tcg', kvmUsable: false });
  });

  it('warns when /dev/kvm is not read/writable', async () => {
    const env = fakeEnvironment({ stats: kvmDevice, denied: ['/dev/kvm'] });
    const result = await runCheck(kvmCheck, env);
    expect(result.status).toBe('warn');
    expect(result.fix).toContain('kvm group');
  });

  it('warns when the probe finds KVM unusable, and records the TCG verdict', async () => {
    const verdict = { accel: 'tcg' as const, requested: 'auto' as const, kvmUsable: false, reason: 'KVM unusable: a KVM guest printed no "Linux version" within 3000 ms', probeMs: 3010, fromCache: false };
    const env = fakeEnvironment({ stats: kvmDevice, defaultImage: image, verdict });
    const context = fakeContext(env);
    const result = await kvmCheck.run(context);
    expect(result.status).toBe('warn');
    expect(result.seen).toContain('boots use TCG');
    expect(result.seen).toContain('no "Linux version" within 3000 ms');
    expect(env.calls).toContain('accel /cache/vmlinuz');
    expect(context.verdicts).toEqual([verdict]);
  });

  it('passes when the probe finds KVM working', async () => {
    const verdict = { accel: 'kvm' as const, requested: 'auto' as const, kvmUsable: true, reason: 'KVM works: printed after 300 ms', probeMs: 350, fromCache: false };
    const env = fakeEnvironment({ stats: kvmDevice, defaultImage: image, verdict });
    expect((await runCheck(kvmCheck, env)).status).toBe('pass');
  });

  it('uses --kernel over the default image', async () => {
    const env = fakeEnvironment({ stats: kvmDevice, defaultImage: image });
    await runCheck(kvmCheck, env, { options: { kernelPath: '/tmp/bzImage' } });
    expect(env.calls).toContain('accel /tmp/bzImage');
  });

  it('warns "not probed" when there is no kernel', async () => {
    const env = fakeEnvironment({ stats: kvmDevice });
    const result = await runCheck(kvmCheck, env);
    expect(result.status).toBe('warn');
    expect(result.seen).toContain('not probed');
    expect(result.seen).toContain('manifest.json not found');
  });
});

describe('qemu-binary', async () => {
  const { parseQemuVersion, locateQemuBinary, QemuNotFoundError } = await import('../../../harness/qemu/qemu-binary.ts');
  const { mkdtemp, writeFile, chmod, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');

  it.each([
    ['QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\nCopyright (c) 2003-2022\n', [7, 2, 22]],
    ['QEMU emulator version 8.2.2 (Debian 1:8.2.2+ds-0ubuntu1)\n', [8, 2, 2]],
    ['QEMU emulator version 9.0\n', [9, 0, 0]],
  ])('parses %j', (output, [major, minor, micro]) => {
    expect(parseQemuVersion(output)).toMatchObject({ major, minor, micro });
  });

  it('returns undefined for other output', () => {
    expect(parseQemuVersion('bash: qemu: command not found')).toBeUndefined();
  });

  it('prefers HARNESS_QEMU over PATH and says which one failed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'qemu-bin-'));
    try {
      const fake = join(dir, 'qemu-system-x86_64');
      await writeFile(fake, '#!/bin/sh\n');
      await chmod(fake, 0o755);
      expect(await locateQemuBinary({ PATH: dir }, dir)).toBe(fake);
      expect(await locateQemuBinary({ PATH: '/nowhere', HARNESS_QEMU: fake }, dir)).toBe(fake);
      await expect(locateQemuBinary({ PATH: dir, HARNESS_QEMU: join(dir, 'nope') }, dir)).rejects.toThrow('HARNESS_QEMU points at');
      await expect(locateQemuBinary({ PATH: '/nowhere' }, dir)).rejects.toBeInstanceOf(QemuNotFoundError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
