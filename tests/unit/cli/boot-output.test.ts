// The summary's result line: PASS only when checks ran and all passed; runs without checks say what they proved.
import { describe, expect, it } from 'vitest';
import type { BootReport } from '../../../harness/boot/boot-report.ts';
import type { CheckResult } from '../../../harness/checks/check-result.ts';
import { formatBootSummary, formatCheckTable, resultLine } from '../../../harness/cli/boot-output.ts';
import type { CliIO } from '../../../harness/cli/cli-io.ts';
import { skippedCheck } from '../../../harness/checks/check-runner.ts';

const io: CliIO = { stdout: () => undefined, stderr: () => undefined, isTTY: false, env: {}, cwd: '/' };
const check: CheckResult = { id: 'nic-renamed', title: 'primary NIC renamed to lan', passed: true, verdict: 'interface lan present', evidence: [], durationMs: 3 };

function report(overrides: Partial<BootReport>): BootReport {
  return {
    name: 'sample',
    startedAt: '2026-12-02T17:00:00.000Z',
    image: { kind: 'iso' },
    accelerator: undefined,
    keyInjection: 'smbios',
    phases: [{ phase: 'prompt', atMs: 9000, evidence: 'login: ' }],
    qemu: { argv: [], pid: undefined },
    sshPort: undefined,
    checks: [],
    passed: false,
    logs: { dir: '/logs', consoleRaw: '', consoleText: '', qemuStderr: '', qemuArgv: '', report: '' },
    ...overrides,
  };
}

describe('resultLine', () => {
  it.each([
    ['checks ran and passed', report({ outcome: 'passed', passed: true, checks: [check] }), 'PASS (1/1 checks passed)'],
    ['--no-checks', report({ outcome: 'booted' }), 'BOOTED: prompt reached (no checks run)'],
    ['--expect', report({ outcome: 'matched' }), 'MATCHED: "login: " (no checks run)'],
    ['a skipped check', report({ outcome: 'failed', checks: [check, skippedCheck('ssh-reachable', 'SSH reachable', 'no forwarded port')] }), 'FAIL (1/2 checks passed, 1 skipped)'],
    ['zero checks on a broken run', report({ outcome: 'failed', error: { name: 'Error', message: 'interrupted by SIGINT\nmore' } }), 'FAIL (no checks ran: interrupted by SIGINT)'],
  ])('%s: %s', (_title, input, line) => {
    expect(resultLine(input)).toBe(line);
  });

  it('zero checks never prints PASS (0/0 …)', () => {
    for (const outcome of ['booted', 'matched', 'failed'] as const) expect(formatBootSummary(report({ outcome }), io)).not.toMatch(/PASS|0\/0/);
  });

  it('the table shows a skipped check as SKIP with its reason', () => {
    expect(formatCheckTable([check, skippedCheck('ssh-reachable', 'SSH reachable', 'no forwarded port')], io)).toMatch(/SKIP {2}SSH reachable {15}skipped: no forwarded port/);
  });
});
