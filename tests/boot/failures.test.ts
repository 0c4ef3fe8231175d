// Failing fast with the evidence: a kernel panic, QEMU dying under a test, SSH that never comes up.
import { describe, expect, it } from 'vitest';
import { bootVm } from '../../harness/run/boot-vm.ts';
import { ConsoleClosedError, ConsoleFailureError } from '../../harness/console/console-errors.ts';
import { SshNotReadyError } from '../../harness/ssh/ssh-client.ts';
import { UsageError } from '../../harness/errors.ts';
import { DiskOverlayError } from '../../harness/boot/disk-overlay.ts';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

describe('failing fast', () => {
  it('a kernel panic fails the boot with the panic trace, not a timeout', async () => {
    const error = await bootVm({ name: 'fail-panic', defaultImageAs: 'kernel', append: 'rdinit=/does-not-exist' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConsoleFailureError);
    const failure = error as ConsoleFailureError;
    expect(failure.line).toMatch(/Kernel panic - not syncing/);
    // The trace that follows the panic line, not just its first line.
    expect(failure.trace.length).toBeGreaterThan(3);
    expect(failure.trace.join('\n')).toMatch(/Call Trace|end Kernel panic/);
    expect(failure.message).toContain('boot-logs');
    const logDir = /Logs of this run: (\S+)/.exec(failure.message)?.[1] ?? failure.logPath!;
    const report = JSON.parse(await readFile(join(logDir, 'report.json'), 'utf8'));
    expect(report.passed).toBe(false);
    expect(report.error.message).toMatch(/Kernel panic/);
  }, 300_000);

  it.each([
    ['SIGKILL', (error: ConsoleClosedError) => expect(error.exit?.signal).toBe(9)],
    ['SIGTERM', (error: ConsoleClosedError) => expect(error.exitDetails).toMatch(/QEMU said:[\s\S]*terminating on signal 15/)],
  ] as const)('QEMU killed from outside with %s: the pending command fails with QEMU\'s exit status and stderr', async (signal, verify) => {
    await using vm = await bootVm({ name: `fail-qemu-${signal.toLowerCase()}`, defaultImageAs: 'kernel' });
    const pending = vm.shell.run('sleep 60', { timeoutMs: 120_000 });
    process.kill(vm.qemuPid!, signal);
    const error = await pending.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConsoleClosedError);
    expect((error as ConsoleClosedError).exit).toBeDefined();
    verify(error as ConsoleClosedError);
    expect((error as Error).message).toMatch(/Last \d+ console lines/);
  }, 300_000);

  it('SSH that never comes up fails with the SSH budget, not a generic timeout', async () => {
    await using vm = await bootVm({ name: 'fail-no-ssh', keyInjection: 'none', defaultImageAs: 'kernel' });
    const error = await vm.ssh(4000).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SshNotReadyError);
    expect((error as SshNotReadyError).budgetMs).toBe(4000);
    expect((error as SshNotReadyError).message).toMatch(/SSH on 127\.0\.0\.1:\d+ not ready after \d+ ms \(budget 4000 ms/);
    expect((error as SshNotReadyError).message).toMatch(/Accelerator: (tcg|kvm)[\s\S]*Last 40 console lines:[\s\S]*ssh=no/);
  }, 300_000);
});

describe('bad input that only a boot reveals', () => {
  it('a kernel without the initrd it needs: a panic that says to add --initrd', async () => {
    const { locateDefaultImage } = await import('../../harness/boot/default-image.ts');
    const image = await locateDefaultImage();
    const error = await bootVm({ name: 'fail-no-initrd', kernel: image.kernel }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConsoleFailureError);
    expect((error as Error).message).toMatch(/needs an initrd[\s\S]*--initrd/);
  }, 300_000);

  it('a forwarded port already taken', async () => {
    const { createServer } = await import('node:net');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const error = await bootVm({ name: 'fail-port', sshPort: port }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(UsageError);
      expect((error as Error).message).toMatch(new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use[\\s\\S]*Fix:`));
    } finally {
      server.close();
    }
  });

  it('a disk image another QEMU is writing to', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { execFileSync, spawn } = await import('node:child_process');
    const dir = await mkdtemp(join(tmpdir(), 'locked-disk-'));
    const disk = join(dir, 'disk.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', disk, '64M']);
    const other = spawn('qemu-system-x86_64', ['-accel', 'tcg', '-S', '-display', 'none', '-monitor', 'none', '-serial', 'none', '-nodefaults', '-drive', `file=${disk},if=virtio,format=qcow2`], { stdio: 'ignore' });
    try {
      // Give the other QEMU time to open (and lock) the image.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const error = await bootVm({ name: 'fail-locked-disk', disks: [disk] }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(DiskOverlayError);
      expect((error as DiskOverlayError).locked).toBe(true);
      expect((error as Error).message).toMatch(/locked by another process[\s\S]*Fix: stop the other QEMU/);
    } finally {
      other.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
