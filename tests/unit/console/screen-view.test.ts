// The screen view starts its terminal emulator only when needed; started late, it must show exactly what
// one running from the first byte shows, and it must still answer a guest's queries as they come.
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FakeTransport } from '../../../harness/console/fake-transport.ts';
import { splitIntoChunks } from '../../../harness/console/replay-capture.ts';
import { ScreenView } from '../../../harness/console/screen-view.ts';
import { SerialConsole } from '../../../harness/console/serial-console.ts';
import { type TerminalEvents, TerminalEventWatch } from '../../../harness/console/terminal-event-watch.ts';

const transcriptsDir = new URL('../../../fixtures/transcripts/', import.meta.url);
const transcripts = readdirSync(transcriptsDir).filter((name) => name.endsWith('.raw'));
const bytes = (text: string) => new TextEncoder().encode(text);

async function screenAfter(chunks: Uint8Array[], eager: boolean): Promise<{ text: string; started: boolean; replies: string[]; addressed: boolean }> {
  const view = new ScreenView(80, 25, { eager });
  const replies: string[] = [];
  view.onReply((reply) => replies.push(reply));
  let rawEnd = 0;
  for (const chunk of chunks) view.write(chunk, (rawEnd += chunk.length));
  const started = view.started;
  await view.whenIdle();
  const result = { text: view.text(), started, replies, addressed: view.cursorAddressed };
  view.dispose();
  return result;
}

describe('ScreenView started when needed', () => {
  it.each(transcripts)('%s: the screen started late equals the one running from the first byte, in any chunking', async (name) => {
    const capture = readFileSync(new URL(name, transcriptsDir));
    const eager = await screenAfter([capture], true);
    for (const plan of ['whole', 'random', 1] as const) {
      const lazy = await screenAfter(splitIntoChunks(capture, plan, 7), false);
      expect({ ...lazy, started: undefined }).toEqual({ ...eager, started: undefined });
    }
  });

  it.each([
    ['kernel lines and colours', '[    0.000000] Linux version 6.1\r\n\x1b[0;32m  OK  \x1b[0m] Started x.\r\n', false],
    ['a title set by the shell prompt', '\x1b]0;root@host: ~\x07\x1b[?2004hroot@host:~# ', false],
    ['a shell prompt asking where the cursor is (answered without the emulator)', '\x1b]0;root@host: ~\x07[root@host:~]# \x1b[6n', false],
    ['a cursor-position query after absolute placement', '\x1b[3;5Hlogin: \x1b[6n', true],
    ['device attributes asked', '\x1b[c', true],
    ['a colour query', '\x1b]11;?\x1b\\', true],
    ['absolute cursor placement (a menu)', '\x1b[2J\x1b[3;5HGNU GRUB', true],
  ])('%s: emulator started %s', async (_what, output, started) => {
    expect((await screenAfter(splitIntoChunks(bytes(output), 1), false)).started).toBe(started);
  });

  it('starts once the bytes kept pass the bound, and shows the same screen', async () => {
    const lines = Array.from({ length: 200 }, (_, i) => `line ${i}\r\n`).join('');
    const view = new ScreenView(80, 25, { maxDeferredBytes: 1000 });
    view.write(bytes(lines.slice(0, 900)), 900);
    expect(view.started).toBe(false);
    view.write(bytes(lines.slice(900)), lines.length);
    expect(view.started).toBe(true);
    await view.whenIdle();
    expect(view.text()).toBe((await screenAfter([bytes(lines)], true)).text);
    view.dispose();
  });

  it('a console answers a query after a long line-oriented boot by itself (nobody asks for the screen), with the cursor where a terminal has it', async () => {
    const transport = new FakeTransport();
    using console = new SerialConsole(transport);
    const boot = Array.from({ length: 300 }, (_, i) => `[    ${i}.000000] kernel line ${i}\r\n`).join('');
    for (const chunk of splitIntoChunks(bytes(boot), 'random', 3)) transport.push(chunk);
    transport.push('# \x1b[6n');
    // The guest waits for the answer: it must come without any screen query from the harness's side.
    await expect.poll(() => transport.written).toEqual(['\x1b[25;3R']);
    expect(await console.screenText()).toMatch(/kernel line 299\n# $/);
  });
});

describe('cursor position queries answered without the emulator', () => {
  it('the answer is the one the emulator gives, and the emulator started later for another query does not send it again', async () => {
    const output = '[    1.000000] kernel line\r\n\x1b[1;32m#\x1b[0m \x1b[6n' + 'ls\r\n'.repeat(3) + '# \x1b[6n' + '\x1b[c' + '# \x1b[6n';
    const eager = await screenAfter([bytes(output)], true);
    for (const plan of ['whole', 'random', 1] as const) {
      const view = new ScreenView(80, 25);
      const replies: string[] = [];
      view.onReply((reply) => replies.push(reply));
      const chunks = splitIntoChunks(bytes(output), plan, 5);
      const beforeAttributes = output.indexOf('\x1b[c');
      let fed = 0;
      for (const chunk of chunks) {
        view.write(chunk, (fed += chunk.length));
        // Until device attributes are asked, the cursor reports come without the emulator.
        if (fed <= beforeAttributes) expect(view.started).toBe(false);
      }
      await view.whenIdle();
      expect(replies).toEqual(eager.replies);
      expect(replies.filter((reply) => reply.endsWith('R'))).toHaveLength(3);
      view.dispose();
    }
  });
});

describe('TerminalEventWatch', () => {
  it.each([
    ['\x1b[6n', { query: true, cursorAddressed: false }],
    ['\x1b[?6n', { query: true, cursorAddressed: false }],
    ['\x1b[>c', { query: true, cursorAddressed: false }],
    ['\x1b[?2004$p', { query: true, cursorAddressed: false }],
    ['\x1b[2004p', { query: false, cursorAddressed: false }],
    ['\x1bP$qm\x1b\\', { query: true, cursorAddressed: false }],
    ['\x1b]4;1;?\x07', { query: true, cursorAddressed: false }],
    ['\x1b]2;what?\x07', { query: false, cursorAddressed: false }],
    ['\x1b]0;title\x1b\\plain \x1b[1;31mred\x1b[0m', { query: false, cursorAddressed: false }],
    ['\x1b[10;20H', { query: false, cursorAddressed: true }],
    ['\x1b[5d', { query: false, cursorAddressed: true }],
    ['\x1bZ', { query: true, cursorAddressed: false }],
    ['\x1b[1\x1b[6n', { query: true, cursorAddressed: false }],
  ])('%j gives %j, whole or byte by byte', (output, expected) => {
    for (const plan of ['whole', 1] as const) {
      const watch = new TerminalEventWatch();
      const events: TerminalEvents = { query: false, cursorAddressed: false };
      for (const chunk of splitIntoChunks(bytes(output), plan)) watch.scan(chunk, events);
      expect(events).toEqual(expected);
    }
  });
});
