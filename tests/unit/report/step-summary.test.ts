// The job summary: verdict table, retries, failure class, failed checks with evidence, console tail, artefacts.
import { describe, expect, it } from 'vitest';
import { renderStepSummary } from '../../../harness/report/step-summary.ts';
import type { BootReport } from '../../../harness/boot/boot-report.ts';

function report(overrides: Partial<BootReport>): BootReport {
  return {
    name: 'nightly',
    startedAt: '2026-12-02T03:00:00.000Z',
    image: { kind: 'iso', iso: '/x.iso' },
    accelerator: { accel: 'tcg', requested: 'auto', kvmUsable: false, reason: 'KVM unusable', fromCache: true },
    timeoutScale: { factor: 2.5, requested: 'auto', source: 'default', reason: 'auto: slow runner' },
    keyInjection: 'smbios',
    phases: [{ phase: 'qemu', atMs: 0, evidence: 'qemu' }, { phase: 'kernel', atMs: 2000, evidence: 'Linux version 6.1' }, { phase: 'stopped', atMs: 9000, evidence: 'stopped' }],
    qemu: { argv: [], pid: 1 },
    sshPort: undefined,
    checks: [],
    passed: true,
    logs: { dir: '/logs/run', consoleRaw: '', consoleText: '', qemuStderr: '', qemuArgv: '', report: '' },
    ...overrides,
  };
}

describe('renderStepSummary', () => {
  it('no run recorded is a failure that says so', () => {
    expect(renderStepSummary({ reports: [] })).toMatch(/^# Boot harness: FAILED — no run recorded/);
  });

  it('a run passed on retry, a failed check with its evidence, the console tail, the artefacts link and an appendix', () => {
    const attempt = { attempt: 1, failureClass: 'infrastructure' as const, reason: 'QEMU died of signal 9 with no guest cause', logDir: '/logs/first', loadAverage: 3, cpus: 2 };
    const retried = report({ name: 'retried', retry: { attempt: 2, firstAttempt: attempt, attempts: [attempt] } });
    const failed = report({
      name: 'broken',
      passed: false,
      failure: { failureClass: 'image', reason: 'check failed: storage status' },
      logs: { ...report({}).logs, dir: '/logs/broken' },
      checks: [{ id: 'storage-status', title: 'storage status is applied', passed: false, verdict: 'expected applied, got plan-only', evidence: [{ command: 'cat /run/pre-nixos/storage-status', output: 'plan-only', exitCode: 0 }], durationMs: 30 }],
    });
    const markdown = renderStepSummary({ reports: [retried, failed], consoleTails: new Map([['/logs/broken', ['[ 9.0] pre-nixos: done']]]), artifactsUrl: 'https://example.invalid/run/1', appendix: '## Compared with the last good run: PASSED → FAILED' });
    expect(markdown).toMatch(/^# Boot harness: ❌ FAILED — 2 runs/);
    expect(markdown).toContain('| `retried` | ✅ passed on retry 1 | 0/0 | tcg | ×2.5 | 9.00 s |');
    expect(markdown).toContain('| `broken` | ❌ failed (image) | 0/1 |');
    expect(markdown).toContain('- Retried: passed on retry 1, first attempt: infrastructure: QEMU died of signal 9 with no guest cause');
    expect(markdown).toContain('- Failure class: **image**: check failed: storage status');
    expect(markdown).toMatch(/### ✗ storage status is applied\n\nexpected applied, got plan-only\n\n`cat \/run\/pre-nixos\/storage-status` → exit 0\n\n```\nplan-only\n```/);
    expect(markdown).toMatch(/<summary>Last 1 console lines<\/summary>[\s\S]*pre-nixos: done/);
    expect(markdown).toContain('[artefacts of this run](https://example.invalid/run/1)');
    expect(markdown.trimEnd().endsWith('## Compared with the last good run: PASSED → FAILED')).toBe(true);
  });
});
