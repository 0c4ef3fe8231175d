// Pins the console engine's fast paths (whole spans of plain text, printk timestamps read at once, the
// other view's text kept lazily, `before` joined on read) to the byte-at-a-time path: one synthetic stream
// that mixes everything the slow paths exist for, fed whole, in 4 KiB reads, in random reads and byte by
// byte. The failure cases are where any search over more than one line at a time could go wrong (one was
// tried and measured slower than a test per line); they guard whatever comes next.
import { describe, expect, it } from 'vitest';
import { FakeTransport } from '../../../harness/console/fake-transport.ts';
import { seededRandom, splitIntoChunks } from '../../../harness/console/replay-capture.ts';
import { ConsoleFailureError, EOF, type Pattern, SerialConsole } from '../../../harness/console/serial-console.ts';
import { timestampEnd } from '../../../harness/console/printk-splitter.ts';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A few hundred KiB of every kind of line, in a fixed pseudo-random order, with numbered landmarks to expect. */
function mixedStream(lineCount: number): { bytes: Buffer; landmarks: string[] } {
  const random = seededRandom(11);
  const parts: string[] = [];
  const landmarks: string[] = [];
  const kinds = [
    (n: number) => `plain ascii line ${n} with nothing special in it at all, long enough to span a fair bit\r\n`,
    (n: number) => `\x1b[0;32m  OK  \x1b[0m] Started \x1b[1munit-${n}\x1b[0m.\r\r\n`,
    (n: number) => `[root@pre-[${String(n % 1000).padStart(5)}.${String(n % 999_999).padStart(6, '0')}] audit: ${n}\r\r\nnixos:~]# `,
    (n: number) => `Progress ${n % 100}%\rDone ${n}\r\r\n`,
    (n: number) => `typo ${n}xx\b\bok\r\n`,
    (n: number) => `utf8 é ─ 😀 “${n}” \xff mark\r\n`,
    (n: number) => `\x1b]0;title ${n}\x07\x1b[?2004hprompt ${n}$ \x1b[6n\r\n`,
    (n: number) => `not printk a[ 12.34] b x[12.1234567] y[  ] z[${n}.123456]\r\n`,
    (n: number) => `broken [ 12[    5.${String(n).padStart(6, '0')}] kernel line in a candidate\r\nrest ${n}\r\n`,
    (n: number) => `/ ${n} # [    2.${String(n).padStart(6, '0')}] first kernel line\r\n[    3.${String(n).padStart(6, '0')}] second\r\n`,
    (n: number) => `\x1b(0lqqk\x1b(B box \x0eqq\x0f ${n}\r\n`,
    (n: number) => `c1 \xc2\x9b31m csi ${n} \x9b0m\r\n`,
    (n: number) => `${'long '.repeat(50 + (n % 40))}${n}\r\n`,
    (n: number) => `\x1b[5;3H menu row ${n}\x1b[5;78H\x1b[H\x1b[J\x1b[1;1H[    0.${String(n).padStart(6, '0')}] Linux version ${n}\r\n`,
  ];
  for (let n = 0; n < lineCount; n++) {
    const kind = Math.floor(random() * kinds.length);
    parts.push(kinds[kind]!(n));
    if (n % 37 === 0) {
      parts.push(`landmark <${n}> here\r\n`);
      landmarks.push(`<${n}>`);
    }
  }
  // A candidate timestamp that only the end of the stream decides (held across reads, then released).
  parts.push('tail[   9.12');
  return { bytes: encode(parts.join('')), landmarks };
}

/** UTF-8 for the characters above U+00FF, and the \xNN escapes above as single raw bytes (invalid UTF-8 on purpose). */
function encode(text: string): Buffer {
  const bytes: number[] = [];
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code <= 0xff) bytes.push(code);
    else bytes.push(...Buffer.from(char, 'utf8'));
  }
  return Buffer.from(bytes);
}

interface Observed {
  matches: unknown[];
  lines: string[];
  tail: string[];
}

async function observe(chunks: Uint8Array[], steps: Pattern[][], printkFilter: (step: number) => boolean): Promise<Observed> {
  const transport = new FakeTransport();
  const lines: string[] = [];
  using console = new SerialConsole(transport, { screen: false, onLine: (line) => lines.push(line) });
  const matches: unknown[] = [];
  const run = (async () => {
    for (const [step, patterns] of steps.entries()) {
      const m = await console.expect(patterns, { timeoutMs: 10_000, failurePatterns: false, printkFilter: printkFilter(step) });
      matches.push({ index: m.index, matchText: m.matchText, groups: m.groups, before: m.before, offset: m.offset, rawEndByte: m.rawEndByte });
    }
  })();
  for (const chunk of chunks) {
    transport.push(chunk);
    await tick();
  }
  transport.end();
  await run;
  return { matches, lines, tail: console.tail(40) };
}

const chunkings = (bytes: Buffer): [string, Uint8Array[]][] => [
  ['4 KiB reads', splitIntoChunks(bytes, 4096)],
  ['random reads', splitIntoChunks(bytes, 'random', 3)],
  ['odd-sized reads', splitIntoChunks(bytes, 997)],
  ['byte by byte', splitIntoChunks(bytes, 1)],
];

describe('console engine fast paths', () => {
  const { bytes, landmarks } = mixedStream(1500);
  const steps: Pattern[][] = [
    ...landmarks.map((landmark, index): Pattern[] => (index % 3 === 0 ? [landmark, /audit: (\d+)\n/] : [new RegExp(`landmark ${landmark}`)])),
    ['nixos:~]# ', /prompt (\d+)\$/],
    [EOF],
  ];

  it.each([
    { name: 'the printk-filtered view', printkFilter: () => true },
    { name: 'the unfiltered view', printkFilter: () => false },
    { name: 'views switched every step', printkFilter: (step: number) => step % 2 === 0 },
  ])('$name: every chunking gives the matches, lines and tail of the whole stream', async ({ printkFilter }) => {
    const whole = await observe([bytes], steps, printkFilter);
    expect(whole.matches).toHaveLength(steps.length);
    expect(whole.lines.length).toBeGreaterThan(1500);
    for (const [, chunks] of chunkings(bytes)) {
      expect(await observe(chunks, steps, printkFilter)).toEqual(whole);
    }
  });

  // Without onLine, whole lines in the middle of a piece of text are kept in blocks, split only by tail().
  it('without onLine, every chunking keeps the tails of the line-by-line path', async () => {
    const tails = async (chunks: Uint8Array[], withOnLine: boolean) => {
      const transport = new FakeTransport();
      using console = new SerialConsole(transport, { screen: false, ...(withOnLine ? { onLine: () => {} } : {}) });
      const seen: string[][] = [];
      for (const [index, chunk] of chunks.entries()) {
        transport.push(chunk);
        if (index % 7 === 0) seen.push(console.tail(3), console.tail(250));
      }
      transport.end();
      seen.push(console.tail(40), console.tail(401), console.tail(0));
      return seen;
    };
    for (const [, chunks] of chunkings(bytes)) {
      expect(await tails(chunks, false)).toEqual(await tails(chunks, true));
    }
  });

  // Each failure is in a place a search over whole pieces could miss: composed with BS, overwritten after a CR,
  // inside a kernel line that landed mid-line, split across reads, or after a line of only escapes.
  it.each([
    { name: 'a plain line', trailer: 'Kernel panic - not syncing: plain\r\n' },
    { name: 'a line corrected with backspaces', trailer: 'Kernel panicc\b - not syncing: typed\r\n' },
    { name: 'a line overwritten after a CR', trailer: 'Kernel panic - nXt syncing\rKernel panic - no\r\n' },
    { name: 'a kernel line in the middle of a prompt', trailer: 'login[    3.000000] Kernel panic - not syncing: mid\r\n: ' },
    { name: 'a line after escapes only', trailer: '\x1b[0m\x1b[2K\r\nNo bootable device.\r\n' },
    { name: 'a line where an optional character is left out', trailer: 'Connection timed out (http://ipxe.org/4c0a6035)\r\n' },
    { name: 'a line with an optional group', trailer: '[    1.000000] Oops: 0000 [#1] SMP\r\n' },
  ])('a failure in $name is caught the same way in every chunking', async ({ trailer }) => {
    const stream = Buffer.concat([mixedStream(200).bytes, Buffer.from('\r\n'), encode(`${trailer}after 1\r\nafter 2\r\n`)]);
    const failureOf = async (chunks: Uint8Array[]) => {
      const transport = new FakeTransport();
      using console = new SerialConsole(transport, { screen: false, failureTraceLines: 3, failureTraceMs: 60_000 });
      const waiting = console.expect('never in the stream', { timeoutMs: 60_000 }).catch((error: unknown) => error);
      for (const chunk of chunks) transport.push(chunk);
      transport.end();
      const error = await waiting;
      expect(error).toBeInstanceOf(ConsoleFailureError);
      const failure = error as ConsoleFailureError;
      return { name: failure.failure.name, line: failure.line, trace: failure.trace };
    };
    const whole = await failureOf([stream]);
    expect(whole.trace).toHaveLength(3);
    for (const [, chunks] of chunkings(stream)) expect(await failureOf(chunks)).toEqual(whole);
  });
});

describe('before, joined when read', () => {
  it('is the text between the matches, however much later it is read', async () => {
    const transport = new FakeTransport();
    using console = new SerialConsole(transport, { screen: false, lookbackChars: 64 });
    const filler = (tag: string) => `${tag}${'\x1b[32mnoise\x1b[0m '.repeat(200)}\r\n`;
    const first = console.expect('ONE', { timeoutMs: 1000 });
    transport.push(`${filler('a')}${filler('b')}ONE`);
    const one = await first;
    const second = console.expect('TWO', { timeoutMs: 1000 });
    transport.push(`${filler('c')}${filler('d')}TWO${filler('e')}`);
    const two = await second;
    expect(one.before).toBe(`a${'noise '.repeat(200)}\nb${'noise '.repeat(200)}\n`);
    expect(two.before).toBe(`c${'noise '.repeat(200)}\nd${'noise '.repeat(200)}\n`);
    expect({ ...one }.before).toBe(one.before);
    expect(JSON.parse(JSON.stringify(two)).before).toBe(two.before);
  });
});

describe('failure patterns at the ends of lines and across reads', () => {
  /** Pushes `reads` while an expect for text that never comes waits; the failure that ended it. */
  async function failureAfter(reads: string[], options: ConstructorParameters<typeof SerialConsole>[1] = {}): Promise<ConsoleFailureError> {
    const transport = new FakeTransport();
    using console = new SerialConsole(transport, { screen: false, failureTraceLines: 1, ...options });
    const waiting = console.expect('never', { timeoutMs: 60_000 }).catch((error: unknown) => error);
    for (const read of reads) transport.push(read);
    const error = await waiting;
    expect(error).toBeInstanceOf(ConsoleFailureError);
    return error as ConsoleFailureError;
  }

  // Each pattern looks at the line's ends, which a search over many lines at once sees differently.
  it.each([
    { name: 'a start anchor', pattern: /^Oops: / },
    { name: 'an end anchor', pattern: /not syncing$/ },
    { name: 'word boundaries', pattern: /\bOops\b/ },
    { name: 'a lookbehind', pattern: /(?<!\s)Oops: / },
    { name: 'a lookahead', pattern: /not syncing(?!\s)/ },
    { name: 'a flag of its own', pattern: /OOPS: /i },
  ])('a pattern with $name is tested per line as before', async ({ pattern }) => {
    const error = await failureAfter(['first line\r\nOops: not syncing\r\nlast line\r\n'], { failurePatterns: [{ name: 'custom', pattern }] });
    expect(error.line).toBe('Oops: not syncing');
  });

  it('an empty line that is all a block of whole lines holds is tested too', async () => {
    // The only match is the empty one at the very end of the block (the LF after the empty line).
    const error = await failureAfter(['first\r\n\r\nlast', ' more\r\n'], { failurePatterns: [{ name: 'empty', pattern: /^$/ }] });
    expect(error.line).toBe('');
  });

  it('a line begun while other failure patterns applied is tested whole against the new ones', async () => {
    const transport = new FakeTransport();
    using console = new SerialConsole(transport, { screen: false, failureTraceLines: 1 });
    const first = console.expect('X', { timeoutMs: 1000 });
    transport.push('first part BOOM! then X');
    await first;
    const second = console.expect('never', { timeoutMs: 1000, failurePatterns: [{ name: 'custom', pattern: /BOOM!/ }] }).catch((error: unknown) => error);
    transport.push(' rest\r\n');
    const error = (await second) as ConsoleFailureError;
    expect(error).toBeInstanceOf(ConsoleFailureError);
    expect(error.line).toBe('first part BOOM! then X rest');
  });

  it('a literal in an earlier read of an unfinished line gets the line tested when it ends', async () => {
    // The literal ends further back than the seam check reaches (the longest literal, 48 characters).
    const error = await failureAfter([`xx Kernel panic - not syncing: early${' '.repeat(60)}`, 'rest\r\n']);
    expect(error.line).toBe(`xx Kernel panic - not syncing: early${' '.repeat(60)}rest`);
  });

  it('a literal split between two reads in the middle of a line is seen at the seam', async () => {
    const error = await failureAfter(['[  OK  ] line one\r\nsome text before Kernel pa', 'nic - not syncing: split\r\n']);
    expect(error.line).toBe('some text before Kernel panic - not syncing: split');
  });
});

describe('timestampEnd', () => {
  it.each([
    ['[    2.912345] x', 14],
    ['[2.912345]', 10],
    ['[123456.000001]', 15],
    ['[ 12.34] b', -7],
    ['[12.1234567]', -10],
    ['[  ] z', -3],
    ['[x', -1],
    ['[   ', 0],
    ['[  12', 0],
    ['[  12.12345', 0],
    ['[  12.123456', 0],
  ])('%j -> %i', (text, end) => {
    expect(timestampEnd(text, 0)).toBe(end);
  });
});

describe('the view no expect is using, cut without being flattened', () => {
  // With a 64-character look-back the unfiltered view is cut every few lines while the filtered one is
  // searched; then an expect switches to it. Plain text, so offsets are byte offsets.
  const filler = Array.from({ length: 400 }, (_, n) => `filler line ${n} ${'x'.repeat(n % 50)}\n`).join('');
  const stream = `${filler}MARK one\nshort\nthen tail 77 here\n${filler}MARK two\nlast tail 88 here\n`;
  const bytes = Buffer.from(stream);

  it.each(chunkings(bytes))('%s: the switched-to view has exactly the text it should', async (_name, chunks) => {
    const transport = new FakeTransport();
    using console = new SerialConsole(transport, { screen: false, lookbackChars: 64 });
    const run = (async () => {
      const results: unknown[] = [];
      for (const [pattern, printkFilter] of [['MARK one', true], [/tail \d+ here/, false], ['MARK two', true], [/tail \d+ here/, false]] as const) {
        const m = await console.expect(pattern, { timeoutMs: 10_000, printkFilter });
        results.push({ matchText: m.matchText, before: m.before, offset: m.offset, rawEndByte: m.rawEndByte });
      }
      return results;
    })();
    for (const chunk of chunks) {
      transport.push(chunk);
      await tick();
    }
    transport.end();
    const one = stream.indexOf('MARK one') + 8;
    const tail1 = stream.indexOf('tail 77');
    const two = stream.indexOf('MARK two') + 8;
    const tail2 = stream.indexOf('tail 88');
    expect(await run).toEqual([
      { matchText: 'MARK one', before: filler, offset: one - 8, rawEndByte: one },
      { matchText: 'tail 77 here', before: stream.slice(one, tail1), offset: tail1, rawEndByte: tail1 + 12 },
      { matchText: 'MARK two', before: stream.slice(tail1 + 12, two - 8), offset: two - 8, rawEndByte: two },
      { matchText: 'tail 88 here', before: stream.slice(two, tail2), offset: tail2, rawEndByte: tail2 + 12 },
    ]);
  });
});
