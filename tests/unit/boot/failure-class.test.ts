// Whose fault a failure was decides whether it may be retried: never an image's.
import { describe, expect, it } from 'vitest';
import { classifyFailure, retryLine, type FailureFacts } from '../../../harness/boot/failure-class.ts';
import { renderJunit } from '../../../harness/report/junit-report.ts';
import { renderReportMarkdown } from '../../../harness/report/report-markdown.ts';
import type { BootReport } from '../../../harness/boot/boot-report.ts';

const base: FailureFacts = {
  errorName: 'Error',
  errorMessage: '',
  failedChecks: [],
  qemuStderr: '',
  consoleSilentMs: 1000,
  guestPrinted: true,
  loadAverage: 0.5,
  cpus: 2,
};

describe('classifyFailure', () => {
  it.each<[string, Partial<FailureFacts>, 'image' | 'infrastructure' | 'configuration', RegExp]>([
    ['L2 networking this host cannot make', { errorName: 'L2UnavailableError', errorMessage: 'bridge NICs need CAP_NET_ADMIN' }, 'configuration', /cannot run this boot: bridge NICs need CAP_NET_ADMIN/],
    ['a kernel panic', { errorName: 'ConsoleFailureError', errorMessage: 'Boot failed: kernel panic: Kernel panic - not syncing: No working init found' }, 'image', /the guest failed: .*Kernel panic/],
    ['a failed check, even with QEMU gone', { failedChecks: ['pre-nixos service succeeded'], qemuExit: { exitCode: null, signal: 9 } }, 'image', /check failed: pre-nixos service succeeded/],
    ['QEMU killed from outside while the guest printed', { errorName: 'QemuExitedError', errorMessage: 'QEMU exited while booting (phase kernel) (signal 9)', qemuExit: { exitCode: null, signal: 9 } }, 'infrastructure', /QEMU died of signal 9 with no guest cause/],
    ['QEMU unable to start', { errorName: 'QemuExitedError', errorMessage: 'QEMU exited during start-up (exit code 1)', qemuExit: { exitCode: 1, signal: null }, qemuStderr: 'qemu-system-x86_64: -drive file=x: Could not open', guestPrinted: false }, 'infrastructure', /QEMU could not start the guest: qemu-system-x86_64: -drive file=x: Could not open/],
    ['the host out of memory', { errorName: 'QemuExitedError', errorMessage: 'QEMU exited during start-up', qemuStderr: 'qemu-system-x86_64: cannot set up guest memory \'pc.ram\': Cannot allocate memory' }, 'infrastructure', /out of memory or disk: Cannot allocate memory/],
    ['the host out of disk', { errorName: 'Error', errorMessage: 'write failed', errorCode: 'ENOSPC' }, 'infrastructure', /out of memory or disk: ENOSPC/],
    ['a port race', { errorName: 'QemuExitedError', errorMessage: 'QEMU exited during start-up', qemuStderr: 'qemu-system-x86_64: -netdev user,id=net0,hostfwd=tcp:127.0.0.1:40000-:22: Could not set up host forwarding rule: Address already in use' }, 'infrastructure', /port or lock race: Address already in use/],
    ['a disk lock race', { errorName: 'DiskOverlayError', errorMessage: 'Failed to get "write" lock' }, 'infrastructure', /lock race/],
    ['the guest powering itself off', { errorName: 'QemuExitedError', errorMessage: 'QEMU exited while booting (exit code 0)', qemuExit: { exitCode: 0, signal: null } }, 'image', /powered off or rebooted/],
    ['a timeout with the guest printing', { errorName: 'ExpectTimeoutError', errorMessage: 'Console pattern /# $/ not seen after 240000 ms', consoleSilentMs: 2000, loadAverage: 9 }, 'image', /alive and printing/],
    ['a timeout, guest silent, host overloaded', { errorName: 'ExpectTimeoutError', errorMessage: 'Console pattern /# $/ not seen after 240000 ms', consoleSilentMs: 200_000, loadAverage: 7.5 }, 'infrastructure', /guest silent for 200 s and the host overloaded \(load average 7\.50 on 2 CPUs\)/],
    ['a timeout, guest silent, host idle', { errorName: 'ExpectTimeoutError', errorMessage: 'Console pattern /# $/ not seen after 240000 ms', consoleSilentMs: 200_000, loadAverage: 0.3 }, 'image', /not overloaded .* the guest hung/],
    ['SSH that never answers', { errorName: 'SshNotReadyError', errorMessage: 'SSH on 127.0.0.1:4000 not ready after 90000 ms' }, 'image', /SshNotReadyError/],
  ])('%s', (_what, facts, failureClass, reason) => {
    const verdict = classifyFailure({ ...base, ...facts });
    expect(verdict.failureClass).toBe(failureClass);
    expect(verdict.reason).toMatch(reason);
  });
});

const attempt = { attempt: 1, failureClass: 'infrastructure' as const, reason: 'QEMU died of signal 9 with no guest cause (the guest was still printing)', logDir: '/logs/first', loadAverage: 1, cpus: 2 };
const report: BootReport = {
  name: 'nightly',
  startedAt: '2026-12-02T03:00:00.000Z',
  image: { kind: 'iso', iso: '/x.iso' },
  accelerator: { accel: 'tcg', requested: 'auto', kvmUsable: false, reason: 'KVM unusable', fromCache: false },
  keyInjection: 'smbios',
  phases: [{ phase: 'qemu', atMs: 0, evidence: '' }, { phase: 'prompt', atMs: 8000, evidence: '' }, { phase: 'stopped', atMs: 12_000, evidence: '' }],
  qemu: { argv: [], pid: 1 },
  sshPort: undefined,
  checks: [
    { id: 'ok', title: 'NIC renamed to lan', passed: true, verdict: 'lan present', evidence: [], durationMs: 100 },
    { id: 'storage', title: 'storage status <plan-only>', passed: false, verdict: 'expected "applied" & got plan-only', evidence: [{ command: 'cat /run/pre-nixos/storage-status', output: 'plan-only\u0007', exitCode: 0 }], durationMs: 50 },
  ],
  passed: false,
  retry: { attempt: 2, firstAttempt: attempt, attempts: [attempt] },
  logs: { dir: '/logs/second', consoleRaw: '', consoleText: '', qemuStderr: '', qemuArgv: '', report: '' },
};

describe('retries in the reports', () => {
  it('retryLine says which retry and why the first attempt failed', () => {
    expect(retryLine(report.retry!, true)).toBe('passed on retry 1, first attempt: infrastructure: QEMU died of signal 9 with no guest cause (the guest was still printing)');
  });

  it('report.md says it', () => {
    expect(renderReportMarkdown({ report: { ...report, passed: true } })).toContain('- Retried: passed on retry 1, first attempt: infrastructure: QEMU died of signal 9');
  });

  it('JUnit: one case for the boot and one per check, the retry as a property and in system-out, XML escaped', () => {
    const xml = renderJunit([report]);
    expect(xml).toMatch(/<testsuites name="boot-harness" tests="3" failures="1" errors="0" time="12.000">/);
    expect(xml).toContain('<property name="retry" value="ran on retry 1, first attempt: infrastructure: QEMU died of signal 9 with no guest cause (the guest was still printing)"/>');
    expect(xml).toContain('<testcase classname="boot-harness.nightly" name="storage status &lt;plan-only&gt;" time="0.050">');
    expect(xml).toContain('<failure message="expected &quot;applied&quot; &amp; got plan-only">$ cat /run/pre-nixos/storage-status (exit 0)\nplan-only�</failure>');
    expect(xml).toMatch(/<system-out>ran on retry 1, first attempt: infrastructure: [^<]*\nlogs: \/logs\/second<\/system-out>/);
    expect(xml).not.toMatch(/[\u0000-\u0008]/);
  });

  it('JUnit: a boot that failed is an error case with the message', () => {
    const xml = renderJunit([{ ...report, checks: [], retry: undefined, error: { name: 'ConsoleFailureError', message: 'Kernel panic - not syncing\ntrace' }, failure: { failureClass: 'image', reason: 'the guest failed' } }]);
    expect(xml).toContain('<error type="ConsoleFailureError" message="Kernel panic - not syncing">Kernel panic - not syncing\ntrace</error>');
    expect(xml).toContain('<property name="failure-class" value="image: the guest failed"/>');
  });
});
