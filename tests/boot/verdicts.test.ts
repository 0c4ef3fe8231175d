// What `harness boot` says it proved, for real boots of the default image: zero checks is never PASS
// (--no-checks: BOOTED, --expect: MATCHED, both exit 0), and --storage-pattern reaches the storage check.
import { describe, expect, it } from 'vitest';
import { harness } from '../support/run-cli.ts';

const bootMs = 300_000;

describe('harness boot verdicts', () => {
  it('--no-checks: BOOTED, not PASS (0/0); exit 0; report.json says booted, not passed', async () => {
    const run = await harness(['boot', '--direct', '--no-checks', '--name', `verdict-no-checks-${process.pid}`, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as { outcome: string; passed: boolean; checks: unknown[] };
    expect(report).toMatchObject({ outcome: 'booted', passed: false, checks: [] });
  }, bootMs);

  it('--expect: MATCHED with the text seen; exit 0', async () => {
    const run = await harness(['boot', '--direct', '--expect', 'Linux version \\S+', '--name', `verdict-expect-${process.pid}`]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Result: MATCHED: ".*Linux version \S+.*" \(no checks run\)$/m);
    expect(run.stdout).not.toMatch(/PASS|0\/0/);
  }, bootMs);

  it('--storage-pattern is how the storage check reads the file: a pattern that finds another field fails it, saying where', async () => {
    const run = await harness(['boot', '--direct', '--storage-pattern', '^DISK=(?<state>\\S+)$', '--name', `verdict-storage-pattern-${process.pid}`, '--json']);
    const report = JSON.parse(run.stdout) as { outcome: string; checks: { id: string; passed: boolean; verdict: string }[] };
    expect(run.code).toBe(1);
    expect(report.outcome).toBe('failed');
    expect(report.checks.filter((check) => !check.passed)).toEqual([
      expect.objectContaining({ id: 'storage-status', verdict: 'none (line 2, pattern /^DISK=(?<state>\\S+)$/), expected plan-only' }),
    ]);
  }, bootMs);
});
