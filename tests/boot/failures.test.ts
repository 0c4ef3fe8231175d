// Failing fast with the evidence: a kernel panic, QEMU dying under a test, SSH that never comes up.
import { describe, expect, it } from 'vitest';
import { bootVm } from '../../harness/boot/boot-vm.ts';
import { ConsoleClosedError, ConsoleFailureError } from '../../harness/console/console-errors.ts';
import { SshNotReadyError } from '../../harness/ssh/ssh-client.ts';
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

  it('QEMU killed from outside: the pending command fails with QEMU\'s exit status', async () => {
    await using vm = await bootVm({ name: 'fail-qemu-killed', defaultImageAs: 'kernel' });
    const pending = vm.shell.run('sleep 60', { timeoutMs: 120_000 });
    process.kill(vm.qemuPid!, 'SIGKILL');
    const error = await pending.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConsoleClosedError);
    expect((error as ConsoleClosedError).exit?.signal).toBe(9);
  }, 300_000);

  it('SSH that never comes up fails with the SSH budget, not a generic timeout', async () => {
    await using vm = await bootVm({ name: 'fail-no-ssh', keyInjection: 'none', defaultImageAs: 'kernel' });
    const error = await vm.ssh(4000).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SshNotReadyError);
    expect((error as SshNotReadyError).budgetMs).toBe(4000);
    expect((error as SshNotReadyError).message).toMatch(/SSH on 127\.0\.0\.1:\d+ not ready after \d+ ms \(budget 4000 ms/);
  }, 300_000);
});
