// The cursor followed without an emulator must be where xterm.js has it, at every query, in any chunking;
// and it must give up (so the emulator takes over) on anything it does not follow.
import { readFileSync, readdirSync } from 'node:fs';
import xterm from '@xterm/headless';
import { describe, expect, it } from 'vitest';
import { CursorPosition } from '../../../harness/console/cursor-position.ts';
import { splitIntoChunks } from '../../../harness/console/replay-capture.ts';

const bytes = (text: string | Uint8Array) => (typeof text === 'string' ? new TextEncoder().encode(text) : text);
const transcriptsDir = new URL('../../../fixtures/transcripts/', import.meta.url);
const transcripts = readdirSync(transcriptsDir).filter((name) => name.endsWith('.raw'));

/** Every reply xterm.js sends for `output`, in order. */
async function xtermReplies(output: Uint8Array, columns: number, rows: number): Promise<string[]> {
  const terminal = new xterm.Terminal({ cols: columns, rows, allowProposedApi: true, scrollback: 0 });
  const replies: string[] = [];
  terminal.onData((reply) => replies.push(reply));
  await new Promise<void>((resolve) => terminal.write(output, resolve));
  terminal.dispose();
  return replies;
}

function followed(output: Uint8Array, columns: number, rows: number, plan: 'whole' | 'random' | 1 = 'whole'): { replies: string[]; known: boolean } {
  const cursor = new CursorPosition(columns, rows);
  const replies: string[] = [];
  for (const chunk of splitIntoChunks(output, plan, 11)) {
    cursor.follow(chunk);
    replies.push(...cursor.takeReplies());
  }
  return { replies, known: cursor.known };
}

function seededRandom(seed: number): () => number {
  let state = seed;
  return () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
}

// What line-oriented output is made of, lines about as long as the screen is wide included.
const pieces = [
  'a',
  'word ',
  'x'.repeat(7),
  'y'.repeat(79),
  'z'.repeat(80),
  'w'.repeat(81),
  '\r',
  '\n',
  '\r\n',
  '\r\r\n',
  '\b',
  '\b\b\b',
  '\t',
  '\x0b',
  '\x0c',
  '\x07',
  '\x00',
  '\x1b[0m',
  '\x1b[1;32m',
  '\x1b[K',
  '\x1b[2K',
  '\x1b[?2004h',
  '\x1b[?2004l',
  '\x1b[?25l\x1b[?25h',
  '\x1b]0;root@host: ~\x07',
  '\x1b]2;title\x1b\\',
  '\x1b(B',
  '[root@pre-nixos:~]# ',
  '\x1b[6n',
];

describe('CursorPosition', () => {
  it('answers every cursor position query as xterm.js does, over random line-oriented output and screen sizes, in any chunking', async () => {
    const random = seededRandom(7);
    for (let sample = 0; sample < 300; sample++) {
      const [columns, rows] = [
        [80, 25],
        [10, 4],
        [132, 50],
      ][sample % 3]!;
      const length = 1 + Math.floor(random() * 60);
      const output = bytes(Array.from({ length }, () => pieces[Math.floor(random() * pieces.length)]).join('') + '\x1b[6n');
      const expected = await xtermReplies(output, columns!, rows!);
      for (const plan of ['whole', 'random', 1] as const) {
        const result = followed(output, columns!, rows!, plan);
        expect(result.known).toBe(true);
        expect(result.replies).toEqual(expected);
      }
    }
  });

  it.each(transcripts)('%s: while it follows, its answers are the first ones xterm.js gives', async (name) => {
    const capture = readFileSync(new URL(name, transcriptsDir));
    // Cut the capture where the following stopped; up to there the replies must be the same.
    const cursor = new CursorPosition(80, 25);
    let end = 0;
    while (end < capture.length && cursor.known) cursor.follow(capture.subarray(end, ++end));
    const followedPart = cursor.known ? capture : capture.subarray(0, end - 1);
    expect(followed(followedPart, 80, 25).replies).toEqual(await xtermReplies(followedPart, 80, 25));
  });

  it('follows a real boot to its shell prompt and its cursor query', () => {
    const capture = readFileSync(new URL('qemu-nixos-iso-dsr-prompts.raw', transcriptsDir));
    const result = followed(capture, 80, 25, 'random');
    expect(result.replies.length).toBeGreaterThan(0);
  });

  it.each([
    ['absolute placement', '\x1b[3;5H'],
    ['a relative move', '\x1b[2A'],
    ['save and restore', '\x1b7x\x1b8'],
    ['device attributes asked', '\x1b[c'],
    ['a private cursor report', '\x1b[?6n'],
    ['a status report', '\x1b[5n'],
    ['autowrap turned off', '\x1b[?7l'],
    ['the alternate screen', '\x1b[?1049h'],
    ['a colour query', '\x1b]11;?\x07'],
    ['an OSC that is not a title', '\x1b]52;c;aGk=\x07'],
    ['a UTF-8 character (its width)', 'é'],
    ['a CSI with an intermediate', '\x1b[2 q'],
    ['a control inside a CSI', '\x1b[1\r2m'],
    ['erase in display', '\x1b[2J'],
    ['a DEL', '\x7f'],
    ['SO, a character set shift', '\x0e'],
  ])('%s: stops following, and answers nothing after', (_what, output) => {
    const result = followed(bytes(`text${output}\x1b[6n`), 80, 25);
    expect(result).toEqual({ replies: [], known: false });
  });

  it('replies found in a chunk that then stops the following are dropped: the emulator answers them', () => {
    const cursor = new CursorPosition(80, 25);
    cursor.follow(bytes('# \x1b[6n'));
    expect(cursor.takeReplies()).toEqual(['\x1b[1;3R']);
    cursor.follow(bytes('$ \x1b[6n\x1b[c'));
    expect({ replies: cursor.takeReplies(), known: cursor.known }).toEqual({ replies: [], known: false });
  });
});
