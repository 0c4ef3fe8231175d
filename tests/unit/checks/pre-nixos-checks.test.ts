// The checks' verdicts over scripted guest answers (no QEMU): each can fail, and says why.
import { describe, expect, it } from 'vitest';
import type { CommandResult, CommandRunner } from '../../../harness/command/command-runner.ts';
import { anyLease, dhcpLease, interfaceNames, listeningSocketsCommand, nicNotRenamed, nicRenamed, sshReachable, sshUnreachable, storageStatus } from '../../../harness/checks/pre-nixos-checks.ts';
import { identityCommand, type SshSession } from '../../../harness/ssh/ssh-client.ts';
import { sshTarget } from '../../../harness/checks/pre-nixos-suite.ts';
import { PassThrough } from 'node:stream';

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

  it('reads first and polls only when there is no address yet (a poll is two more guest processes)', async () => {
    const sent: string[] = [];
    const runner = scriptedRunner({ 'ip -4 -o addr show dev lan |': { stdout: '' }, 'ip -4 -o addr': { stdout: '2: lan    inet 10.0.2.15/24 scope global dynamic lan\n' }, 'ip -4 route': route });
    const recording: CommandRunner = { execute: (command) => (sent.push(command), runner.execute(command)) };
    expect((await dhcpLease(recording, 'lan', { timeoutMs: 10 })).passed).toBe(true);
    expect(sent).toEqual(['ip -4 -o addr show dev lan', 'ip -4 route show default']);
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

  it('a richer file (STATE= among other lines) passes, with the state, where it was found and the whole file as evidence', async () => {
    const content = 'STATE=applied\nDISK=/dev/vda\nLABEL=PRE-NIXOS-APPLIED 2026-12-02T17:00:00Z\n';
    const result = await storageStatus(scriptedRunner({ test: { stdout: '' }, cat: { stdout: content } }), 'applied', 10);
    expect(result).toMatchObject({ passed: true, verdict: 'applied (line 1, key STATE)' });
    expect(result.evidence).toEqual([
      { command: 'cat /run/pre-nixos/storage-status', output: content, exitCode: 0 },
      { command: '(reading the state)', output: 'state: applied\nfound at: line 1, key STATE' },
    ]);
    const wrong = await storageStatus(scriptedRunner({ test: { stdout: '' }, cat: { stdout: content } }), 'plan-only', 10);
    expect(wrong).toMatchObject({ passed: false, verdict: 'applied (line 1, key STATE), expected plan-only' });
  });

  it('an ambiguous file fails, saying why and how to tell the harness the format', async () => {
    const result = await storageStatus(scriptedRunner({ test: { stdout: '' }, cat: { stdout: 'was plan-only, now applied\n' } }), 'applied', 10);
    expect(result.passed).toBe(false);
    expect(result.verdict).toMatch(/^cannot read the state from \/run\/pre-nixos\/storage-status: ambiguous: both plan-only and applied appear/);
    expect(result.evidence[1]?.output).toMatch(/--storage-pattern/);
  });

  it("the image's own format: a pattern or a parse function", async () => {
    const runner = () => scriptedRunner({ test: { stdout: '' }, cat: { stdout: 'disk ok\nphase 3/3: APPLIED\n' } });
    expect(await storageStatus(runner(), 'applied', { timeoutMs: 10, format: { pattern: /phase \S+: (\w+)/ } })).toMatchObject({
      passed: true,
      verdict: 'applied (line 2, pattern /phase \\S+: (\\w+)/)',
    });
    expect(await storageStatus(runner(), 'applied', { timeoutMs: 10, format: { parse: () => 'plan-only' } })).toMatchObject({ passed: false });
  });

  it('fails when the file is missing', async () => {
    const runner = scriptedRunner({ test: { stdout: '', exitCode: 1 }, cat: { stdout: 'cat: no such file', exitCode: 1 } });
    const result = await storageStatus(runner, 'plan-only', 10);
    expect(result.passed).toBe(false);
    expect(result.verdict).toContain('missing');
  });
});

describe('sshUnreachable: the listening-socket probe says which tool it used, or that there was none', () => {
  // Nothing listens behind this stream: the SSH attempt fails at once, as against a guest without sshd.
  const target = { host: '10.213.7.50', port: 22, username: 'root', privateKey: 'unused', openStream: () => new PassThrough().end() };

  it('a guest with neither ss nor netstat is not "nothing listening"', async () => {
    const runner = scriptedRunner({ [listeningSocketsCommand]: { stdout: 'neither ss nor netstat in the guest\n', exitCode: 127 } });
    const result = await sshUnreachable(target, runner, 2000);
    expect(result).toMatchObject({ passed: false, verdict: 'cannot tell whether anything listens on port 22: neither ss nor netstat in the guest' });
  });

  it('with netstat: nothing on :22 passes, a listener on :22 fails', async () => {
    const quiet = scriptedRunner({ [listeningSocketsCommand]: { stdout: 'tool: netstat\ntcp 0 0 0.0.0.0:2222 0.0.0.0:* LISTEN\n' } });
    expect(await sshUnreachable(target, quiet, 2000)).toMatchObject({ passed: true, verdict: 'no sshd listening (netstat), login refused' });
    const sshd = scriptedRunner({ [listeningSocketsCommand]: { stdout: 'tool: ss\nLISTEN 0 128 0.0.0.0:22 0.0.0.0:*\n' } });
    expect(await sshUnreachable(target, sshd, 2000)).toMatchObject({ passed: false, verdict: 'something listens on port 22' });
  });
});

describe('sshTarget: where the SSH checks connect', () => {
  const sshKey = { privateKey: 'PRIVATE', publicKey: 'ssh-ed25519 AAAA' } as never;

  it('a forwarded port: 127.0.0.1; a way over the segment: that host; neither: a reason to record the check as skipped', () => {
    expect(sshTarget({ sshKey, sshPort: 2222 }, {})).toMatchObject({ host: '127.0.0.1', port: 2222 });
    const openStream = () => new PassThrough();
    expect(sshTarget({ sshKey, sshPort: undefined }, { ssh: { host: '10.213.7.50', openStream } })).toMatchObject({ host: '10.213.7.50', port: 22, openStream });
    expect(sshTarget({ sshKey, sshPort: undefined }, {})).toMatch(/no forwarded SSH port/);
  });
});

describe('sshReachable with a session already made', () => {
  const target = { host: '127.0.0.1' as const, port: 2222, username: 'root', privateKey: 'unused' };
  it("reads the answer of the session's readiness probe when it was the check's command, without another channel", async () => {
    let executed = 0;
    const session = { readyProbe: { command: identityCommand, stdout: 'root\npre-nixos\n', stderr: '', exitCode: 0, durationMs: 1 }, execute: async () => (executed++, session.readyProbe) };
    const result = await sshReachable(target, 1000, async () => session as unknown as SshSession);
    expect(result).toMatchObject({ passed: true, verdict: 'ssh root@127.0.0.1:2222 works (root on pre-nixos)' });
    expect(executed).toBe(0);
  });

  it('runs its command when the probe was another, and fails when that command fails', async () => {
    const commands: string[] = [];
    const session = { readyProbe: { command: 'true', stdout: '', stderr: '', exitCode: 0, durationMs: 1 }, execute: async (command: string) => (commands.push(command), { command, stdout: '', stderr: 'denied', exitCode: 1, durationMs: 1 }) };
    const result = await sshReachable(target, 1000, async () => session as unknown as SshSession);
    expect(commands).toEqual([identityCommand]);
    expect(result).toMatchObject({ passed: false, verdict: 'command over SSH exited 1' });
  });
});
