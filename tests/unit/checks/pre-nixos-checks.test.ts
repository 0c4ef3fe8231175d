// The checks' verdicts over scripted guest answers (no QEMU): each can fail, and says why.
import { describe, expect, it } from 'vitest';
import type { CommandResult, CommandRunner } from '../../../harness/command/command-runner.ts';
import { anyLease, dhcpLease, interfaceNames, nicNotRenamed, nicRenamed, storageStatus } from '../../../harness/checks/pre-nixos-checks.ts';

function scriptedRunner(answers: Record<string, { stdout: string; exitCode?: number }>): CommandRunner {
  return {
    async execute(command: string): Promise<CommandResult> {
      const key = Object.keys(answers).find((prefix) => command.startsWith(prefix));
      const answer = key ? answers[key]! : { stdout: '', exitCode: 127 };
      return { command, stdout: answer.stdout, stderr: '', exitCode: answer.exitCode ?? 0, durationMs: 1 };
    },
  };
}

const linksRenamed = '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536\n2: lan: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500\n';
const linksPlain = '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536\n2: eth0: <BROADCAST,MULTICAST> mtu 1500\n';

describe('interface checks', () => {
  it('parses ip -o link names, including veth@peer forms', () => {
    expect(interfaceNames('1: lo: <X>\n2: lan@if5: <Y>\n')).toEqual(['lo', 'lan']);
  });

  it('nicRenamed passes on lan and fails with the list of interfaces otherwise', async () => {
    expect((await nicRenamed(scriptedRunner({ 'ip -o link': { stdout: linksRenamed } }))).passed).toBe(true);
    const failed = await nicRenamed(scriptedRunner({ 'ip -o link': { stdout: linksPlain } }));
    expect(failed.passed).toBe(false);
    expect(failed.verdict).toContain('eth0');
    expect(failed.evidence[0]?.command).toBe('ip -o link show');
  });

  it('nicNotRenamed is the mirror image', async () => {
    expect((await nicNotRenamed(scriptedRunner({ 'ip -o link': { stdout: linksPlain } }))).passed).toBe(true);
    expect((await nicNotRenamed(scriptedRunner({ 'ip -o link': { stdout: linksRenamed } }))).passed).toBe(false);
  });
});

describe('dhcpLease', () => {
  const route = { stdout: 'default via 10.0.2.2 dev lan \n' };
  it('passes on a dynamic 10.0.2.15 with a default route via 10.0.2.2', async () => {
    const result = await dhcpLease(
      scriptedRunner({ 'ip -4 -o addr': { stdout: '2: lan    inet 10.0.2.15/24 brd 10.0.2.255 scope global dynamic lan\n' }, 'ip -4 route': route }),
      'lan',
      { timeoutMs: 10 },
    );
    expect(result.passed).toBe(true);
  });

  it('fails on a static address: not from DHCP', async () => {
    const result = await dhcpLease(
      scriptedRunner({ 'ip -4 -o addr': { stdout: '2: lan    inet 10.0.2.15/24 scope global lan\n' }, 'ip -4 route': route }),
      'lan',
      { timeoutMs: 10 },
    );
    expect(result.passed).toBe(false);
    expect(result.verdict).toContain('not marked dynamic');
  });

  it('fails with no address and no route, saying both', async () => {
    const result = await dhcpLease(scriptedRunner({ 'ip -4 -o addr': { stdout: '' }, 'ip -4 route': { stdout: '' } }), 'lan', { timeoutMs: 10 });
    expect(result.passed).toBe(false);
    expect(result.verdict).toMatch(/no IPv4 address.*no default route/);
  });

  it('on an L2 segment: any dynamic address and gateway pass, and the verdict says which; the slirp defaults would not', async () => {
    const runner = () =>
      scriptedRunner({
        'ip -4 -o addr': { stdout: '2: lan    inet 10.213.7.50/24 brd 10.213.7.255 scope global dynamic lan\n' },
        'ip -4 route': { stdout: 'default via 10.213.7.1 dev lan \n' },
      });
    const l2 = await dhcpLease(runner(), 'lan', { ...anyLease, timeoutMs: 10 });
    expect(l2).toMatchObject({ passed: true, verdict: '10.213.7.50/24 by DHCP, default route via 10.213.7.1' });
    const slirp = await dhcpLease(runner(), 'lan', { timeoutMs: 10 });
    expect(slirp.passed).toBe(false);
    expect(slirp.verdict).toBe('address 10.213.7.50, expected 10.0.2.15; no default route via 10.0.2.2 on lan (via 10.213.7.1)');
  });
});

describe('storageStatus', () => {
  it.each([
    ['plan-only', 'plan-only', true],
    ['applied', 'applied', true],
    ['plan-only', 'applied', false],
  ] as const)('file says %s, expected %s → %s', async (content, expected, passed) => {
    const runner = scriptedRunner({ test: { stdout: '' }, cat: { stdout: `${content}\n` } });
    expect((await storageStatus(runner, expected, 10)).passed).toBe(passed);
  });

  it('fails when the file is missing', async () => {
    const runner = scriptedRunner({ test: { stdout: '', exitCode: 1 }, cat: { stdout: 'cat: no such file', exitCode: 1 } });
    const result = await storageStatus(runner, 'plan-only', 10);
    expect(result.passed).toBe(false);
    expect(result.verdict).toContain('missing');
  });
});
