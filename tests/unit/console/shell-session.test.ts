// ShellSession against real shells under a real pty (80 columns, echo on, line editing where the shell
// has it): dash as `sh`, bash (the systemd guests' shell) and busybox ash (the initramfs guest's shell).
import { describe, expect, it } from 'vitest';
import { CommandFailedError } from '../../../harness/command/command-assertions.ts';
import { randomMarker } from '../../../harness/console/command-marker.ts';
import { PtyTransport } from '../../../harness/console/pty-transport.ts';
import { SerialConsole } from '../../../harness/console/serial-console.ts';
import { ShellCommandTimeoutError, ShellSession, type ShellSessionOptions } from '../../../harness/console/shell-session.ts';

const shells: [string, string, string[]][] = [
  ['sh', 'sh', []],
  ['bash', 'bash', ['--norc', '--noprofile', '-i']],
  ['busybox ash', 'busybox', ['sh']],
];

async function openShell(file: string, args: string[], options: ShellSessionOptions = {}) {
  const transport = PtyTransport.spawn(file, args, {
    columns: 80,
    rows: 24,
    env: { PATH: process.env.PATH, HOME: '/tmp', TERM: 'xterm-256color', PS1: '[root@pre-nixos:~]# ' },
  });
  const console = new SerialConsole(transport);
  const session = new ShellSession(console, options);
  await session.initialize({ timeoutMs: 15_000 });
  return {
    session,
    console,
    async [Symbol.asyncDispose]() {
      console[Symbol.dispose]();
      await transport[Symbol.asyncDispose]();
    },
  };
}

describe.each(shells)('ShellSession on a real %s', (_name, file, args) => {
  it('runs commands and reports stdout and exit status, never throwing on non-zero', async () => {
    await using shell = await openShell(file, args);
    const result = await shell.session.run('echo hello; printf "a\\r\\nb\\n"; (exit 7)');
    expect(result).toMatchObject({ stdout: 'hello\na\nb\n', exitCode: 7, stderr: '' });
    expect((await shell.session.run('printf no-newline')).stdout).toBe('no-newline');
    expect((await shell.session.run('echo "a # comment"; # trailing comment')).stdout).toBe('a # comment\n');
  });

  it('runs a command longer than 80 columns', async () => {
    await using shell = await openShell(file, args);
    const words = Array.from({ length: 30 }, (_, i) => `word${i}`).join(' ');
    const command = `echo ${words} | tr ' ' '\\n' | wc -l`;
    expect(command.length).toBeGreaterThan(160);
    const result = await shell.session.run(command);
    expect([result.stdout.trim(), result.exitCode]).toEqual(['30', 0]);
  });

  it('runs a command whose text contains the marker, and one that prints the prompt', async () => {
    const markers = ['ABCEFGHJKL', 'ABCEFGHJKL', 'MNOPQSTUVW'];
    let call = 0;
    // The first marker goes to the prompt; the command then contains the next one, which must be skipped.
    await using shell = await openShell(file, args, { marker: () => markers[call++] ?? randomMarker() });
    const result = await shell.session.run('echo "}MNOPQSTUVW 0" ABCEFGHJKL');
    expect(result).toMatchObject({ stdout: '}MNOPQSTUVW 0 ABCEFGHJKL\n', exitCode: 0 });
    const prompt = shell.session.prompt!;
    const echoed = await shell.session.run(`printf '%s\\n' '${prompt}' '${prompt}'; echo after`);
    expect(echoed.stdout).toBe(`${prompt}\n${prompt}\nafter\n`);
  });

  it('a command that does not finish in its budget fails with the command named, and the shell recovers', async () => {
    await using shell = await openShell(file, args);
    const error = await shell.session.run('sleep 2', { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShellCommandTimeoutError);
    expect((error as ShellCommandTimeoutError).shortMessage).toMatch(/^Command `sleep 2` did not finish after \d+ ms$/);
    // Markers are unique per command: the late output of `sleep 2` cannot be taken for the next one's.
    expect(await shell.session.succeed('echo after-timeout', { timeoutMs: 10_000 })).toBe('after-timeout\n');
  });

  it('succeed, fail and waitUntilSucceeds', async () => {
    await using shell = await openShell(file, args);
    expect(await shell.session.succeed('echo ok')).toBe('ok\n');
    await expect(shell.session.succeed('echo nope; false')).rejects.toBeInstanceOf(CommandFailedError);
    expect(await shell.session.fail('false')).toBe('');
    await shell.session.run('rm -f /tmp/harness-wus-$$');
    const result = await shell.session.waitUntilSucceeds('test -e /tmp/harness-wus-$$ || { touch /tmp/harness-wus-$$; false; }', {
      timeoutMs: 10_000,
      intervalMs: 50,
    });
    expect(result.exitCode).toBe(0);
    await shell.session.run('rm -f /tmp/harness-wus-$$');
  });
});

describe('ShellSession login', () => {
  it('answers login: and Password: prompts, then installs its prompt', async () => {
    // A tiny getty: asks for user and password, then execs a shell.
    const script = 'printf "debian login: "; read u; printf "Password: "; read p; [ "$u:$p" = "root:secret" ] && exec sh';
    const transport = PtyTransport.spawn('sh', ['-c', script], { columns: 80, env: { PATH: process.env.PATH, PS1: '# ' } });
    await using _transport = transport;
    using console = new SerialConsole(transport);
    const session = new ShellSession(console);
    await session.initialize({ timeoutMs: 15_000, login: { user: 'root', password: 'secret' } });
    expect(await session.succeed('echo logged-in')).toBe('logged-in\n');
  });
});
