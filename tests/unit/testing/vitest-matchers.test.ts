// The matchers' failure messages carry the evidence a person needs, without booting anything.
import { describe } from 'vitest';
import type { CheckResult, CommandResult } from '../../../harness/index.ts';
import { expect, test } from '../../../harness/testing/vitest-fixtures.ts';

const failed: CommandResult = { command: 'ip -o link show lan', stdout: '', stderr: 'Device "lan" does not exist.', exitCode: 1, durationMs: 5 };
const checks: CheckResult[] = [
  { id: 'unit-pre-nixos', title: 'pre-nixos service succeeded', passed: true, verdict: 'succeeded', evidence: [], durationMs: 1 },
  {
    id: 'nic-renamed',
    title: 'NIC renamed to lan',
    passed: false,
    verdict: 'no interface lan; interfaces: lo, eth0',
    evidence: [{ command: 'ip -o link show', output: '1: lo: <LOOPBACK>\n2: eth0: <BROADCAST>', exitCode: 0 }],
    durationMs: 2,
  },
];

describe('toSucceed', () => {
  test('passes on exit 0 and explains a failure with command, exit code and output', () => {
    expect({ ...failed, exitCode: 0, stderr: '' }).toSucceed();
    expect(failed).not.toSucceed();
    expect(() => expect(failed).toSucceed()).toThrow(/`ip -o link show lan` to exit 0, it exited 1[\s\S]*exit code: 1[\s\S]*stderr:\n {4}\| Device "lan" does not exist\./);
  });

  test('rejects something that is not a CommandResult', () => {
    expect(() => expect('ok').toSucceed()).toThrow(/expects a CommandResult/);
  });
});

describe('toPassChecks', () => {
  test('lists failed checks with verdicts and evidence', () => {
    expect(checks.slice(0, 1)).toPassChecks();
    expect({ checks, passed: false, serviceLog: 'pre-nixos: boom' }).not.toPassChecks();
    expect(() => expect({ checks, passed: false, serviceLog: 'pre-nixos: boom' }).toPassChecks()).toThrow(
      /expected all 2 checks to pass, 1 failed:\n {2}✗ nic-renamed \(NIC renamed to lan\): no interface lan; interfaces: lo, eth0\n {4}\$ ip -o link show {2}→ exit 0\n {6}\| 1: lo: <LOOPBACK>[\s\S]*service log:\n {4}\| pre-nixos: boom/,
    );
  });

  test('named checks must have run: one that dropped out fails, one that was skipped fails', () => {
    const passing = checks.slice(0, 1);
    expect(passing).toPassChecks(['unit-pre-nixos']);
    expect(() => expect(passing).toPassChecks(['unit-pre-nixos', 'ssh-reachable'])).toThrow(/expected checks ssh-reachable to run, they did not \(ran: unit-pre-nixos\)/);
    const skipped: CheckResult = { id: 'ssh-reachable', title: 'SSH reachable', passed: false, skipped: 'no forwarded port', verdict: 'skipped: no forwarded port', evidence: [], durationMs: 0 };
    expect(() => expect([...passing, skipped]).toPassChecks(['unit-pre-nixos', 'ssh-reachable'])).toThrow(/1 failed:\n {2}○ ssh-reachable \(SSH reachable\): skipped: no forwarded port/);
  });

  test('an empty list of checks is not a pass', () => {
    expect(() => expect([]).toPassChecks()).toThrow(/no checks ran/);
  });
});
