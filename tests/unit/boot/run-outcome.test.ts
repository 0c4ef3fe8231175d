// One meaning of PASS everywhere: checks ran and all passed. Zero checks, a skipped check or an error is not a pass.
import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../../../harness/checks/check-result.ts';
import { runOutcome } from '../../../harness/boot/run-outcome.ts';
import { skippedCheck } from '../../../harness/checks/check-runner.ts';

const ran = (passed: boolean): CheckResult => ({ id: passed ? 'nic-renamed' : 'dhcp-lease', title: 't', passed, verdict: 'v', evidence: [], durationMs: 1 });
const skipped = skippedCheck('ssh-reachable', 'SSH reachable with the run key', 'no forwarded SSH port');

describe('runOutcome', () => {
  it.each([
    ['all checks passed', { failed: false, checks: [ran(true)], waitFor: 'shell', promptReached: true }, 'passed'],
    ['a check failed', { failed: false, checks: [ran(true), ran(false)], waitFor: 'shell', promptReached: true }, 'failed'],
    ['a mandatory check was skipped', { failed: false, checks: [ran(true), skipped], waitFor: 'shell', promptReached: true }, 'failed'],
    ['the run broke after passing checks', { failed: true, checks: [ran(true)], waitFor: 'shell', promptReached: true }, 'failed'],
    ['no checks, shell reached', { failed: false, checks: [], waitFor: 'shell', promptReached: true }, 'booted'],
    ['no checks, pattern seen', { failed: false, checks: [], waitFor: /login:/, promptReached: true }, 'matched'],
    ['no checks, prompt never reached', { failed: false, checks: [], waitFor: 'shell', promptReached: false }, 'failed'],
  ] as const)('%s → %s', (_title, facts, outcome) => {
    expect(runOutcome({ ...facts, checks: [...facts.checks] })).toBe(outcome);
  });

  it('a skipped check is recorded with its reason and is not passed', () => {
    expect(skipped).toMatchObject({ passed: false, skipped: 'no forwarded SSH port', verdict: 'skipped: no forwarded SSH port' });
  });
});
