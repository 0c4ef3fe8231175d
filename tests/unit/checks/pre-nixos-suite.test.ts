// The pre-nixos suite over a shell that runs the real commands in bash, with the guest's tools stubbed:
// the serial-shell checks cost one round trip together, and their verdicts and evidence are unchanged.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { CommandResult, CommandRunner } from '../../../harness/command/command-runner.ts';
import { shellQuote } from '../../../harness/console/command-marker.ts';
import { PrefetchedRunner } from '../../../harness/checks/prefetched-runner.ts';
import { type PreNixosTarget, preNixosPrefetch, runPreNixosChecks } from '../../../harness/checks/pre-nixos-suite.ts';

/** A CommandRunner that runs each command in a fresh bash after `prelude`, stderr merged as on a serial console. */
class BashRunner implements CommandRunner {
  readonly commands: string[] = [];
  constructor(private readonly prelude = '') {}
  async execute(command: string): Promise<CommandResult> {
    this.commands.push(command);
    let stdout: string;
    let exitCode = 0;
    try {
      stdout = execFileSync('bash', ['-c', `${this.prelude}\n${command}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      const failed = error as { stdout: string; status: number };
      stdout = failed.stdout;
      exitCode = failed.status;
    }
    return { command, stdout, stderr: '', exitCode, durationMs: 1 };
  }
}

const guest = (link: string) => `
systemctl() { case "$1" in is-system-running) echo running;; show) printf 'ActiveState=inactive\\nSubState=dead\\nResult=success\\nExecMainStatus=0\\nExecMainExitTimestampMonotonic=5\\n';; esac; }
timeout() { shift; "$@"; }
ip() { case "$*" in
  "-o link show") printf '1: lo: <LOOPBACK>\\n2: ${link}: <UP>\\n';;
  "-4 -o addr show dev lan") [ ${link} = lan ] && printf '2: lan    inet 10.0.2.15/24 brd 10.0.2.255 scope global dynamic lan\\n';;
  "-4 route show default") echo 'default via 10.0.2.2 dev ${link}';;
esac; }
netstat() { :; }
journalctl() { echo 'pre-nixos: storage plan-only'; }
test() { if [ "$2" = /run/pre-nixos/storage-status ]; then return 0; fi; command test "$@"; }
cat() { if [ "$1" = /run/pre-nixos/storage-status ]; then echo plan-only; else command cat "$@"; fi; }
`;

function fakeVm(shell: CommandRunner): PreNixosTarget & { recorded: unknown[] } {
  const recorded: unknown[] = [];
  return {
    shell,
    sshPort: undefined,
    sshKey: undefined,
    report: { nics: [] },
    plan: { sshTimeoutMs: 1000 },
    sshTimeoutMs: 1000,
    timeoutScale: { factor: 1 },
    markPhase: () => undefined,
    recordChecks: (checks: unknown) => recorded.push(checks),
    recorded,
  } as unknown as PreNixosTarget & { recorded: unknown[] };
}

describe('runPreNixosChecks', () => {
  it.each([
    ['key present', true, 'lan', ['system-running', 'unit-pre-nixos', 'nic-renamed', 'dhcp-lease', 'storage-status'], 'ssh-reachable'],
    ['no key', false, 'eth0', ['system-running', 'unit-pre-nixos', 'nic-not-renamed', 'storage-status'], 'ssh-unreachable'],
  ] as const)('%s: every serial-shell check is answered by one round trip', async (_label, keyPresent, link, ids, sshId) => {
    const shell = new BashRunner(guest(link));
    const outcome = await runPreNixosChecks(fakeVm(shell) as never, { keyPresent, storage: 'plan-only' });
    const serial = outcome.checks.filter((check) => check.id !== sshId);
    expect(serial.map((check) => [check.id, check.passed, check.verdict])).toEqual(ids.map((id) => [id, true, expect.any(String)]));
    // This fake VM has no run key: the SSH check is there, skipped and not passed, never left out.
    expect(outcome.checks.find((check) => check.id === sshId)).toMatchObject({ passed: false, skipped: 'the VM has no run key' });
    expect(shell.commands).toHaveLength(1);
    expect(outcome.serviceLog).toBe('pre-nixos: storage plan-only\n');
    // Evidence names each command as if it had run alone.
    const lease = outcome.checks.find((check) => check.id === 'dhcp-lease');
    if (lease) expect(lease.evidence.map((e) => e.command)).toEqual(['ip -4 -o addr show dev lan', 'ip -4 route show default']);
  });

  it('budgets stretched by the timeout scale still cost one round trip (the prefetched command carries the same timeout)', async () => {
    const shell = new BashRunner(guest('lan'));
    const vm = { ...fakeVm(shell), timeoutScale: { factor: 2.5 } };
    const outcome = await runPreNixosChecks(vm as never, { keyPresent: true, storage: 'plan-only' });
    expect(shell.commands).toHaveLength(1);
    expect(shell.commands[0]).toContain('timeout 299 systemctl is-system-running');
    expect(outcome.checks.find((check) => check.id === 'system-running')?.evidence[0]?.command).toBe('timeout 299 systemctl is-system-running --wait 2>&1');
  });

  it('a check that must wait (no lease yet) polls on its own after the round trip, and says what it saw', async () => {
    const shell = new BashRunner(guest('lan').replace("[ lan = lan ] && printf '2: lan    inet 10.0.2.15/24 brd 10.0.2.255 scope global dynamic lan\\n'", ':'));
    const outcome = await runPreNixosChecks(fakeVm(shell) as never, { keyPresent: true, storage: 'plan-only', lease: { timeoutMs: 1500 } });
    const lease = outcome.checks.find((check) => check.id === 'dhcp-lease')!;
    expect(lease.passed).toBe(false);
    expect(lease.verdict).toContain('no IPv4 address on lan');
    expect(shell.commands.length).toBeGreaterThan(1);
    expect(outcome.checks.filter((check) => check.id !== 'dhcp-lease' && !check.skipped).every((check) => check.passed)).toBe(true);
  });
});

describe('PrefetchedRunner', () => {
  it('answers each command once exactly as running it alone would, then passes repeats on', async () => {
    const commands = ['echo one; echo two', "printf 'no newline'", 'exit_with() { return $1; }; exit_with 3', `echo "it's quoted" 'and "double"'`, 'true'];
    const alone = new BashRunner();
    const expected = [];
    for (const command of commands) expected.push(await alone.execute(command));
    const shell = new BashRunner();
    const prefetched = await PrefetchedRunner.prefetch(shell, commands.map((command) => ({ command })));
    for (const [index, command] of commands.entries()) {
      const answer = await prefetched.execute(command);
      expect({ stdout: answer.stdout, exitCode: answer.exitCode }).toEqual({ stdout: expected[index]!.stdout, exitCode: expected[index]!.exitCode });
    }
    expect(shell.commands).toHaveLength(1);
    expect(prefetched.unused).toEqual([]);
    await prefetched.execute('true');
    expect(shell.commands).toEqual([expect.any(String), 'true']);
  });

  it('keeps each typed line short enough for busybox (1024 characters): long lists take several round trips', async () => {
    const commands = Array.from({ length: 40 }, (_, index) => `echo ${'x'.repeat(40)}-${index}`);
    const tooLong = `echo ${'y'.repeat(2000)}`;
    const shell = new BashRunner();
    const prefetched = await PrefetchedRunner.prefetch(shell, [...commands, tooLong].map((command) => ({ command })));
    expect(shell.commands.length).toBeGreaterThan(1);
    for (const sent of shell.commands) expect(shellQuote(sent).length).toBeLessThanOrEqual(800);
    for (const [index, command] of commands.entries()) expect((await prefetched.execute(command)).stdout).toBe(`${'x'.repeat(40)}-${index}\n`);
    const before = shell.commands.length;
    expect((await prefetched.execute(tooLong)).stdout).toBe(`${'y'.repeat(2000)}\n`);
    expect(shell.commands.length).toBe(before + 1);
  });

  it('a command marked alongside runs in the background next to the ones after it, and is answered as if run alone', async () => {
    const dir = execFileSync('mktemp', ['-d'], { encoding: 'utf8' }).trim();
    try {
      // It waits for a file a later command makes: in order it would never finish (the test would time out).
      const waiting = `while [ ! -e ${dir}/go ]; do sleep 0.02; done; echo 'saw | go'; printf 'no newline'; exit 3`;
      const commands = [{ command: 'echo first' }, { command: waiting, alongside: true }, { command: `touch ${dir}/go; echo made` }, { command: 'echo last >&2; false' }];
      const shell = new BashRunner();
      const prefetched = await PrefetchedRunner.prefetch(shell, commands);
      expect(shell.commands).toHaveLength(1);
      expect(await prefetched.execute(waiting)).toMatchObject({ stdout: "saw | go\nno newline", exitCode: 3 });
      expect(await prefetched.execute('echo first')).toMatchObject({ stdout: 'first\n', exitCode: 0 });
      expect(await prefetched.execute(`touch ${dir}/go; echo made`)).toMatchObject({ stdout: 'made\n', exitCode: 0 });
      expect(prefetched.unused).toEqual(['echo last >&2; false']);
    } finally {
      execFileSync('rm', ['-rf', dir]);
    }
  });

  it('runs in order instead when running alongside would not fit on one line', async () => {
    // 18 commands fit on one line in order; the background form's longer script would need a second line.
    const commands = Array.from({ length: 18 }, (_, index) => ({ command: `echo ${'z'.repeat(20)}-${index}`, alongside: index === 1 }));
    const shell = new BashRunner();
    const prefetched = await PrefetchedRunner.prefetch(shell, commands);
    expect(shell.commands).toHaveLength(1);
    expect(shell.commands[0]).not.toContain('&');
    for (const [index, { command }] of commands.entries()) expect((await prefetched.execute(command)).stdout).toBe(`${'z'.repeat(20)}-${index}\n`);
  });

  it('a failed round trip leaves every command to the real runner', async () => {
    const runner: CommandRunner = { execute: (command) => (command.includes('eval') ? Promise.reject(new Error('channel gone')) : Promise.resolve({ command, stdout: 'real\n', stderr: '', exitCode: 0, durationMs: 1 })) };
    const prefetched = await PrefetchedRunner.prefetch(runner, [{ command: 'echo x' }]);
    expect((await prefetched.execute('echo x')).stdout).toBe('real\n');
  });

  it('the suite prefetches the lease and NIC commands of the interface it checks', () => {
    expect(preNixosPrefetch({ keyPresent: true, storage: 'plan-only' }).map((c) => c.command)).toContain('ip -4 -o addr show dev lan');
  });
});
