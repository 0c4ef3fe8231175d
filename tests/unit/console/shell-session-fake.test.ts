// ShellSession against a scripted guest: a boot log whose `#1 SMP` ends a read (a false prompt), a tty
// that echoes typed lines wrapped at 80 columns, and kernel lines landing in the middle of prompts.
import { describe, expect, it } from 'vitest';
import { FakeTransport } from '../../../harness/console/fake-transport.ts';
import { SerialConsole } from '../../../harness/console/serial-console.ts';
import { ShellSession } from '../../../harness/console/shell-session.ts';

const printk = '[    5.123456] random: crng init done\r\r\n';

/** Joins a shell word made of adjacent quoted parts: 'ab''cd' -> abcd. */
const unquote = (word: string) => [...word.matchAll(/'([^']*)'|"([^"]*)"/g)].map((m) => m[1] ?? m[2]).join('');

function scriptedGuest(transport: FakeTransport, options: { injectPrintk: boolean }) {
  let booting = true;
  let prompt = '~ # ';
  const typed: string[] = [];
  // Kernel lines land inside the prompt, after its first three characters.
  const showPrompt = () =>
    transport.push(options.injectPrintk ? `${prompt.slice(0, 3)}${printk}${prompt.slice(3)}` : prompt);
  const echo = (line: string) => {
    const wrapped = line.match(/.{1,80}/g)?.join('\r\n') ?? '';
    transport.push(`${wrapped}\r\r\n`);
  };
  transport.onWrite = (data) => {
    const line = data.replace(/\r$/, '');
    typed.push(line);
    if (booting) return; // Nothing reads the console yet.
    setImmediate(() => {
      echo(line);
      const ps1 = /^PS1=((?:'[^']*')+)/.exec(line);
      if (ps1) prompt = unquote(ps1[1]!);
      const framed = /^echo ((?:'[^']*')+); eval '(.*)'; echo ((?:"[^"]*")+)" \$\?"$/.exec(line);
      if (framed) {
        const begin = unquote(framed[1]!);
        const end = unquote(framed[3]!);
        const command = framed[2]!.replaceAll(`'\\''`, "'");
        const output = command.startsWith('echo ') ? `${command.slice(5)}\r\r\n` : '';
        transport.push(`${begin}\r\r\n${output}${end} ${command.includes('false') ? 1 : 0}\r\r\n`);
      }
      showPrompt();
    });
  };
  return {
    typed,
    async boot() {
      transport.push('[    0.000000] Linux version 6.1.0-21-cloud-amd64 (gcc-12) #');
      await new Promise((resolve) => setTimeout(resolve, 30));
      transport.push('1 SMP PREEMPT_DYNAMIC Debian 6.1.90-1\r\r\n[    1.205113] Run /init as init process\r\r\n');
      await new Promise((resolve) => setTimeout(resolve, 30));
      booting = false;
      transport.push('\r\r\nBusyBox v1.36.1 built-in shell (ash)\r\r\n\r\r\n');
      showPrompt();
    },
  };
}

describe.each([false, true])('ShellSession against a scripted tty (printk injected: %s)', (injectPrintk) => {
  it('skips a false prompt during boot, installs its prompt and frames commands', async () => {
    const transport = new FakeTransport();
    using console = new SerialConsole(transport, { screen: false });
    const guest = scriptedGuest(transport, { injectPrintk });
    const session = new ShellSession(console);
    const ready = session.initialize({ timeoutMs: 10_000 });
    await guest.boot();
    await ready;
    // The `#` that ended the first read drew only an Enter; the prompt set-up was typed once, to the shell.
    expect(guest.typed[0]).toBe('');
    expect(guest.typed.filter((line) => line.startsWith('PS1='))).toHaveLength(1);
    const long = `echo ${'x'.repeat(120)}`;
    expect(await session.run(long)).toMatchObject({ stdout: `${'x'.repeat(120)}\n`, exitCode: 0 });
    expect(await session.run('false')).toMatchObject({ stdout: '', exitCode: 1 });
  });
});

/** A restored guest: answers each framed command with `body` (CRLF lines) and the harness prompt. */
function restoredGuest(transport: FakeTransport, prompt: string, body: string): void {
  transport.onWrite = (data) => {
    const framed = /^echo ((?:'[^']*')+); eval '(.*)'; echo ((?:"[^"]*")+)" \$\?"/.exec(data.replace(/\r$/, ''));
    if (!framed) return;
    setImmediate(() => transport.push(`${unquote(framed[1]!)}\r\r\n${body}${unquote(framed[3]!)} 0\r\r\n${prompt}`));
  };
}

describe('ShellSession.resume (a guest restored from a snapshot)', () => {
  const prompt = 'hb-7f3a# ';

  it('a kernel line landing in the round trip\'s output (the NIC coming back up) does not fail the resume', async () => {
    const transport = new FakeTransport();
    using console = new SerialConsole(transport, { screen: false });
    restoredGuest(transport, prompt, 'harness-ready\r\r\n[    4.235176] IPv6: ADDRCONF(NETDEV_CHANGE): lan: link becomes ready\r\r\n');
    await expect(new ShellSession(console).resume({ prompt, timeoutMs: 5000 })).resolves.toBeUndefined();
  });

  it('a wrong answer still fails, saying what came back', async () => {
    const transport = new FakeTransport();
    using console = new SerialConsole(transport, { screen: false });
    restoredGuest(transport, prompt, 'sh: echo: not found\r\r\n');
    await expect(new ShellSession(console).resume({ prompt, timeoutMs: 5000 })).rejects.toThrow(/did not answer[\s\S]*sh: echo: not found/);
  });
});

describe('ShellSession waiting on a text UI', () => {
  it('a prompt that never comes on a console showing a text UI: the timeout shows the rendered screen', async () => {
    const { readFileSync } = await import('node:fs');
    const { ExpectTimeoutError } = await import('../../../harness/console/serial-console.ts');
    const transport = new FakeTransport();
    using console = new SerialConsole(transport);
    transport.push(readFileSync(new URL('../../../fixtures/transcripts/newt-installer-menu.raw', import.meta.url)));
    await console.screenText();
    const error = await new ShellSession(console).initialize({ timeoutMs: 300 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ExpectTimeoutError);
    expect((error as InstanceType<typeof ExpectTimeoutError>).screen).toContain('│ Choose the language to be used for the installation process.       │');
  });
});
