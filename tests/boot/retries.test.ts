// Retries never hide a regression: QEMU killed from outside before the prompt (an infrastructure failure)
// is booted again and the reports say so; a kernel panic (the image's failure) is never retried.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootVm } from '../../harness/run/boot-vm.ts';
import { runPreNixosChecks } from '../../harness/checks/pre-nixos-suite.ts';
import { ConsoleFailureError } from '../../harness/console/console-errors.ts';
import { renderJunit } from '../../harness/report/junit-report.ts';
import type { BootReport } from '../../harness/boot/boot-report.ts';

const readReport = async (logDir: string) => JSON.parse(await readFile(join(logDir, 'report.json'), 'utf8')) as BootReport;

describe('retries', () => {
  it('QEMU killed from outside before the prompt: retried, and reported as passed on retry 1', async () => {
    let attempt = 0;
    let qemuPid: number | undefined;
    const folders: string[] = [];
    await using vm = await bootVm(
      { name: 'retry-qemu-killed', defaultImageAs: 'kernel', retries: 1 },
      {
        onAttempt: (number) => (attempt = number),
        onRunFolder: (logDir) => folders.push(logDir),
        onQemuStarted: (pid) => (qemuPid = pid),
        // The kernel is running, the prompt not yet there: kill QEMU as an OOM killer or operator would.
        onPhase: (mark) => {
          if (mark.phase === 'kernel' && attempt === 1) process.kill(qemuPid!, 'SIGKILL');
        },
      },
    );
    expect(folders).toHaveLength(2);
    expect(vm.report.retry).toMatchObject({ attempt: 2, firstAttempt: { attempt: 1, failureClass: 'infrastructure', logDir: folders[0] } });
    expect(vm.report.retry!.firstAttempt.reason).toMatch(/QEMU died of signal 9 with no guest cause/);
    const first = await readReport(folders[0]!);
    expect(first).toMatchObject({ passed: false, failure: { failureClass: 'infrastructure' }, qemu: { exit: { signal: 9 } } });

    const outcome = await runPreNixosChecks(vm, { keyPresent: true, storage: 'plan-only' });
    expect(outcome.passed).toBe(true);
    await vm.stop();
    const final = await readReport(vm.logDir);
    expect(final.passed).toBe(true);
    expect(final.retry?.firstAttempt.failureClass).toBe('infrastructure');
    const markdown = await readFile(join(vm.logDir, 'report.md'), 'utf8');
    expect(markdown).toMatch(/- Retried: passed on retry 1, first attempt: infrastructure: QEMU died of signal 9/);
    expect(renderJunit([final])).toMatch(/<property name="retry" value="passed on retry 1, first attempt: infrastructure: QEMU died of signal 9/);
  }, 600_000);

  it('a kernel panic is the image\'s failure: never retried, whatever `retries` says', async () => {
    const attempts: number[] = [];
    const folders: string[] = [];
    const error = await bootVm(
      { name: 'retry-kernel-panic', defaultImageAs: 'kernel', append: 'rdinit=/does-not-exist', retries: 2 },
      { onAttempt: (number) => attempts.push(number), onRunFolder: (logDir) => folders.push(logDir) },
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConsoleFailureError);
    expect(attempts).toEqual([1]);
    expect(folders).toHaveLength(1);
    expect((error as Error).message).toMatch(/Failure class: image: the guest failed: .*Kernel panic/);
    const report = await readReport(folders[0]!);
    expect(report).toMatchObject({ passed: false, failure: { failureClass: 'image' } });
    expect(report.retry).toBeUndefined();
  }, 300_000);
});
