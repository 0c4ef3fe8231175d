import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FakeTransport } from '../../../harness/console/fake-transport.ts';
import { splitIntoChunks } from '../../../harness/console/replay-capture.ts';
import {
  ConsoleClosedError,
  ConsoleFailureError,
  EOF,
  ExpectTimeoutError,
  type ExpectMatch,
  type Pattern,
  SerialConsole,
  TIMEOUT,
} from '../../../harness/console/serial-console.ts';

const fixture = (name: string) => readFileSync(new URL(`../../../fixtures/transcripts/${name}`, import.meta.url));
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

type Summary = Pick<ExpectMatch, 'index' | 'matchText' | 'before' | 'offset'> & { rawEndByte?: number };

/** Runs `steps` one after another while the chunks arrive, as a live console would see them. */
async function replaySteps(
  chunks: Uint8Array[],
  steps: (Pattern | Pattern[])[],
  options: { printkFilter?: boolean; keepRaw?: boolean } = {},
): Promise<Summary[]> {
  const transport = new FakeTransport();
  using console = new SerialConsole(transport, { screen: false, printkFilter: options.printkFilter ?? true });
  const results: Summary[] = [];
  const run = (async () => {
    for (const step of steps) {
      const m = await console.expect(step, { timeoutMs: 10_000, failurePatterns: false });
      results.push({
        index: m.index,
        matchText: m.matchText,
        before: m.before,
        offset: m.offset,
        ...(options.keepRaw === false ? {} : { rawEndByte: m.rawEndByte }),
      });
    }
  })();
  for (const chunk of chunks) {
    transport.push(chunk);
    await tick();
  }
  transport.end();
  await run;
  return results;
}

const transcriptCases: { file: string; steps: (Pattern | Pattern[])[] }[] = [
  {
    file: 'nixos-prompt.raw',
    steps: ['Welcome to NixOS', '[root@pre-nixos:~]# ', /(\d+\.\d+\.\d+)\n/, ['nothing', /enp0s3 +UP/], '[root@pre-nixos:~]# ', EOF],
  },
  {
    file: 'busybox-initramfs.raw',
    steps: ['Linux version', 'Loading modules... 100%', /lease of (\S+) obtained/, '~ # ', /harness\.token=(\S+)\n/, EOF],
  },
  {
    file: 'seabios-ipxe.raw',
    steps: ['SeaBIOS (version', 'iPXE initialising devices...ok', [/Filename: (\S+)/, 'Next server'], /vmlinuz\.\.\. ok/, 'Linux version', EOF],
  },
  { file: 'systemd-login.raw', steps: ['Welcome to Debian', '● Thanks for flying systemd — “quotes”', 'debian login: ', EOF] },
  { file: 'c1-controls.raw', steps: ['red plain after-osc', 'Ü is C3 9C, not ST: kept', 'after-dcs', 'prompt> ', EOF] },
  { file: 'kernel-panic.raw', steps: ['Kernel panic - not syncing', /Call Trace:\n/, EOF] },
  // Real QEMU captures (the chardev logfile of harness boots: guest bytes, \r\n line ends).
  {
    file: 'qemu-nixos-iso-shell-session.raw',
    steps: [
      'ISOLINUX 6.04',
      /Linux version (\S+) /,
      'Run /init as init process',
      /virtio_net virtio0 (\w+): renamed from eth0/,
      '[root@pre-nixos:~]# ',
      'NESPJHEHYZ{\n',
      /\}NESPJHEHYZ (\d+)\n/,
      'LYSFSFVTBA{\n',
      /\}LYSFSFVTBA (\d+)\n/,
      '<hp-GXLXSELSEB># ',
      EOF,
    ],
  },
  {
    file: 'qemu-nixos-iso-dsr-prompts.raw',
    steps: ['ISOLINUX 6.04', 'Linux version', 'BusyBox v1.35.0', '[root@pre-nixos:~]# ', '[root@pre-nixos:~]# ', '[root@pre-nixos:~]# ', EOF],
  },
  { file: 'default-direct-boot.raw', steps: [/Linux version (\S+) /, 'BusyBox v1.35.0', '[root@pre-nixos:~]# ', EOF] },
  { file: 'default-iso-boot.raw', steps: ['ISOLINUX', /Linux version (\S+) /, '[root@pre-nixos:~]# ', EOF] },
  // A real newt screen (whiptail, TERM=vt102, C locale: the Debian installer's first screen on serial),
  // boxes in DEC Special Graphics through ESC ) 0 + SO/SI: words beside a box edge keep their boundaries.
  {
    file: 'newt-installer-menu.raw',
    steps: ['┌─────', /┤ \[!!\] Select a language ├─+┐/, /│ Choose the language\b/, /│\bEnglish English\b/, '<Ok>', /└─+┘/, EOF],
  },
];

describe('SerialConsole over recorded transcripts', () => {
  it.each(transcriptCases)('$file: whole, random chunks and byte by byte give identical matches', async ({ file, steps }) => {
    const bytes = fixture(file);
    const whole = await replaySteps([bytes], steps);
    expect(whole).toHaveLength(steps.length);
    expect(whole.at(-1)!.matchText).toBe("");
    for (const seed of [1, 2, 3, 4, 5]) {
      expect(await replaySteps(splitIntoChunks(bytes, 'random', seed), steps)).toEqual(whole);
    }
    expect(await replaySteps(splitIntoChunks(bytes, 1), steps)).toEqual(whole);
  });

  it('finds the NixOS prompt through a kernel line that landed in the middle of it', async () => {
    const [, prompt] = await replaySteps([fixture('nixos-prompt.raw')], ['Welcome to NixOS', '[root@pre-nixos:~]# ']);
    expect(prompt!.before).not.toContain('renamed from eth0');
  });

  it('with the printk filter off, the interrupted prompt is not seen', async () => {
    const results = await replaySteps([fixture('nixos-prompt.raw')], [['[root@pre-nixos:~]# uname', EOF]], { printkFilter: false });
    expect(results[0]!.index).toBe(1);
  });

  it('injected printk lines mid-line do not change matches, in any chunking', async () => {
    const clean = fixture('nixos-prompt.raw');
    const steps: Pattern[] = ['[root@pre-nixos:~]# ', '6.6.32\n', '[root@pre-nixos:~]# ip -br link\n', /enp0s3 +UP/, EOF];
    const expected = await replaySteps([clean], steps, { keepRaw: false });
    const text = clean.toString('latin1');
    // Insert kernel lines inside each "root@pre-nixos" and inside the echo of a typed command.
    const anchors = ['root@pre-ni', 'root@pre-nixos:', 'ip -br', 'enp0s3   '];
    let injected = text;
    for (const anchor of anchors) {
      injected = injected.split(anchor).join(`${anchor}[   12.345678] EXT4-fs (vda1): mounted filesystem\r\r\n`);
    }
    const bytes = Buffer.from(injected, 'latin1');
    for (const plan of ['whole', 'random', 1] as const) {
      expect(await replaySteps(splitIntoChunks(bytes, plan, 9), steps, { keepRaw: false })).toEqual(expected);
    }
  });

  it('two kernel lines after a prompt, the second at the start of a raw line, at every split point', async () => {
    // Seen in CI: busybox's `/ # ` followed by two clocksource lines; with the read boundary just before
    // the prompt, the second kernel line stayed in the prompt's line and `# $` never matched.
    const stream =
      "/bin/sh: can't access tty; job control turned off\r\n[    2.276163] tsc: Refined TSC clocksource calibration: 2596.109 MHz\r\n" +
      '/ # [    2.276831] clocksource: tsc: mask: 0xffffffffffffffff\r\n[    2.277372] clocksource: Switched to clocksource tsc\r\n';
    const bytes = Buffer.from(stream, 'latin1');
    const steps: Pattern[] = [/job control turned off[\s\S]*# $/];
    const plans = [[bytes], splitIntoChunks(bytes, 1), ...Array.from({ length: bytes.length - 1 }, (_, at) => [bytes.subarray(0, at + 1), bytes.subarray(at + 1)])];
    for (const chunks of plans) {
      const [prompt] = await replaySteps(chunks, steps, { keepRaw: false });
      expect(prompt!.matchText.endsWith('MHz\n/ # ')).toBe(true);
    }
  });

  it('in a real capture, the echo of a framed command never matches its marker', async () => {
    const steps: Pattern[] = ['<hp-GXLXSELSEB># ', 'LYSFSFVTBA{\n', /\}LYSFSFVTBA (\d+)\n/];
    const [, begin, end] = await replaySteps([fixture('qemu-nixos-iso-shell-session.raw')], steps);
    expect(begin!.before).toContain(`echo 'LYSFS''FVTBA''{'`);
    expect(end!.before).toBe('plan-only\n1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever\n2: lan    inet 10.0.2.15/24 brd 10.0.2.255 scope global dynamic lan\\       valid_lft 86400sec preferred_lft 86400sec\n');
  });

  it('reports the raw byte offset just past the match', async () => {
    const bytes = fixture('systemd-login.raw');
    const [m] = await replaySteps([bytes], ['debian login: ']);
    expect(bytes.subarray(0, m!.rawEndByte).toString('utf8').endsWith('debian login: ')).toBe(true);
  });
});

describe('SerialConsole expect semantics', () => {
  function open(options: ConstructorParameters<typeof SerialConsole>[1] = {}) {
    const transport = new FakeTransport();
    const console = new SerialConsole(transport, { screen: false, ...options });
    return { transport, console };
  }

  it('earliest match in the stream wins, then the leftmost pattern', async () => {
    const { transport, console } = open();
    transport.push('one two three');
    const m = await console.expect(['three', /t\w+/, 'two'], { timeoutMs: 1000 });
    expect([m.index, m.matchText, m.before]).toEqual([1, 'two', 'one ']);
    const tie = await console.expect(['three', /th/], { timeoutMs: 1000 });
    expect(tie.index).toBe(0);
  });

  it('consumed text is not matched again', async () => {
    const { transport, console } = open();
    transport.push('# first # ');
    await console.expect('# ', { timeoutMs: 1000 });
    const second = await console.expect('# ', { timeoutMs: 1000 });
    expect(second.before).toBe('first ');
    const third = await console.expect(['# ', TIMEOUT], { timeoutMs: 10 });
    expect(third.pattern).toBe(TIMEOUT);
  });

  it('returns the index of EOF and TIMEOUT when listed', async () => {
    const { transport, console } = open();
    const timeout = await console.expect(['never', TIMEOUT], { timeoutMs: 5 });
    expect(timeout.index).toBe(1);
    transport.push('tail text');
    transport.end();
    const eof = await console.expect(['never', EOF], { timeoutMs: 1000 });
    expect([eof.index, eof.before]).toEqual([1, 'tail text']);
  });

  it('rejects with ConsoleClosedError when the stream ends and EOF is not listed', async () => {
    const { transport, console } = open();
    const waiting = console.expect('never', { timeoutMs: 1000 });
    transport.push('last words\r\n');
    transport.end({ exitCode: 1, signal: null });
    const error = await waiting.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConsoleClosedError);
    expect((error as ConsoleClosedError).tail).toEqual(['last words']);
    expect((error as ConsoleClosedError).exit).toEqual({ exitCode: 1, signal: null });
  });

  it('never matches the echo of a marker typed split in quotes', async () => {
    const { transport, console } = open();
    const waiting = console.expect('ABCDEFGHJK{\n', { timeoutMs: 1000 });
    transport.push(`# echo 'ABCDE''FGHJK''{'; eval 'true'\r\r\n`);
    transport.push('ABCDEFGHJK{\r\r\n');
    const m = await waiting;
    expect(m.before).toBe(`# echo 'ABCDE''FGHJK''{'; eval 'true'\n`);
  });

  it('times out with the patterns, elapsed vs budget, context and the last 40 lines', async () => {
    const { transport, console } = open();
    console.context = { phase: 'prompt', accel: 'tcg', logPath: '/tmp/run-1/console.log' };
    for (let i = 1; i <= 50; i++) transport.push(`line ${i}\r\r\n`);
    transport.push('login: ');
    const error = (await console.expect([/\[root@.*\]# $/, 'never'], { timeoutMs: 20 }).catch((e: unknown) => e)) as ExpectTimeoutError;
    expect(error).toBeInstanceOf(ExpectTimeoutError);
    expect(error.shortMessage).toMatch(/^Console pattern \/\\\[root@\.\*\\\]# \$\/, "never" not seen after \d+ ms$/);
    expect(error.message).toContain('of a 20 ms budget');
    expect(error.message).toContain('Boot phase reached: prompt');
    expect(error.message).toContain('Accelerator: tcg');
    expect(error.message).toContain('Console log: /tmp/run-1/console.log');
    expect(error.tail).toHaveLength(40);
    expect(error.tail.at(-1)).toBe('login: ');
    expect(error.tail[0]).toBe('line 12');
    expect(error.message).toContain('  | line 12\n');
    expect([error.budgetMs, error.phase, error.accel]).toEqual([20, 'prompt', 'tcg']);
  });

  it('aborts a pending expect on a failure pattern, with the trace that follows', async () => {
    const { transport, console } = open({ failureTraceMs: 50 });
    const waiting = console.expect('login: ', { timeoutMs: 5000 });
    transport.push(fixture('kernel-panic.raw'));
    const error = (await waiting.catch((e: unknown) => e)) as ConsoleFailureError;
    expect(error).toBeInstanceOf(ConsoleFailureError);
    expect(error.failure.name).toBe('kernel panic');
    expect(error.line).toContain('Kernel panic - not syncing: Attempted to kill init!');
    expect(error.trace.length).toBe(10);
    expect(error.trace.at(-1)).toContain('---[ end Kernel panic');
    expect(error.message).toContain('dump_stack_lvl');
  });

  it('stops collecting the trace after the line limit', async () => {
    const { transport, console } = open({ failureTraceLines: 3, failureTraceMs: 60_000 });
    const waiting = console.expect('never', { timeoutMs: 60_000 });
    transport.push('No configuration methods succeeded (http://ipxe.org/040ee186)\r\na\r\nb\r\nc\r\n');
    const error = (await waiting.catch((e: unknown) => e)) as ConsoleFailureError;
    expect(error.trace).toEqual(['No configuration methods succeeded (http://ipxe.org/040ee186)', 'a', 'b']);
  });

  it('a match that ends before the failure line still wins; the failure goes to the next expect', async () => {
    const { transport, console } = open({ failureTraceLines: 2 });
    const waiting = console.expect('ready', { timeoutMs: 1000 });
    transport.push('ready\r\nKernel panic - not syncing: x\r\nmore\r\n');
    expect((await waiting).matchText).toBe('ready');
    await expect(console.expect('more', { timeoutMs: 1000 })).rejects.toBeInstanceOf(ConsoleFailureError);
  });

  // A failure line ends at its LF's raw byte: a match ending there still wins, one ending a character later
  // does not. The line's end is found in each way a line reaches the line log.
  it.each([
    { name: 'the first line of a read, continuing one', reads: ['pre', 'fix Kernel panic - not syncing: x\r\nc\r\n'], options: {} },
    { name: 'a line in the middle of a read', reads: ['a\r\nb\r\nKernel panic - not syncing: x\r\nc\r\nd\r\n'], options: {} },
    { name: 'a line after a lone CR', reads: ['a\r\n10%\rKernel panic - not syncing: x\r\nc\r\n'], options: {} },
    { name: 'lines handed to onLine one by one', reads: ['a\r\nKernel panic - not syncing: x\r\nc\r\n'], options: { onLine: () => {} } },
    { name: 'a kernel line taken out of a prompt', reads: ['[root@pre-[    2.912345] Kernel panic - not syncing: x\r\r\ncnixos:~]# '], options: {} },
  ])('a failure line ends at its LF: $name', async ({ reads, options }) => {
    for (const [pattern, wins] of [
      ['not syncing: x\n', true],
      ['not syncing: x\nc', false],
    ] as const) {
      const { transport, console } = open({ failureTraceLines: 1, ...options });
      // Unfiltered, so the kernel line taken out of the prompt is matched too.
      const waiting = console.expect(pattern, { timeoutMs: 1000, printkFilter: false });
      for (const read of reads) transport.push(read);
      if (wins) expect((await waiting).matchText, pattern).toBe(pattern);
      else await expect(waiting, pattern).rejects.toBeInstanceOf(ConsoleFailureError);
    }
  });

  it('failure patterns can be switched off per call', async () => {
    const { transport, console } = open();
    const waiting = console.expect('after', { timeoutMs: 1000, failurePatterns: false });
    transport.push('Kernel panic - not syncing: expected in this test\r\nafter');
    expect((await waiting).matchText).toBe('after');
  });

  it('passes every line, kernel lines included, to onLine and keeps a terminal-like tail', async () => {
    const lines: string[] = [];
    const { transport, console } = open({ onLine: (line) => lines.push(line) });
    transport.push('Progress 10%\rDone\r\r\n[root@pre-[    2.912345] virtio: x\r\r\nnixos:~]# ');
    expect(lines).toEqual(['Doneress 10%', '[    2.912345] virtio: x']);
    expect(console.tail()).toEqual(['Doneress 10%', '[    2.912345] virtio: x', '[root@pre-nixos:~]# ']);
  });

  it('a bootloader clearing its screen ends its last row in the log, and the kernel lines after it are lines of their own', async () => {
    const lines: string[] = [];
    const { transport, console } = open({ onLine: (line) => lines.push(line) });
    // GRUB's last act: the cursor left mid-row, the screen cleared, the kernel writing from the top.
    transport.push('\x1b[19;2H      before booting.\x1b[5;78H\x1b[H\x1b[J\x1b[1;1H[    0.000000] Linux version 6.1\r\n[    0.000001] Command line: x\r\n');
    expect(lines).toEqual(['      before booting.', '[    0.000000] Linux version 6.1', '[    0.000001] Command line: x']);
    const kernel = await console.expect(/Linux version (\S+)/, { timeoutMs: 1000 });
    // In the view prompts are matched in, so it was not taken for a kernel line landing inside the menu row.
    expect(kernel.before).toBe('      before booting.\n[    0.000000] ');
  });

  it('an infinite budget waits rather than timing out at once', async () => {
    const { transport, console } = open();
    const waiting = console.expect(['late', TIMEOUT], { timeoutMs: Number.POSITIVE_INFINITY });
    await new Promise((resolve) => setTimeout(resolve, 20));
    transport.push('late');
    expect((await waiting).index).toBe(0);
  });

  it('rejects a second expect while one is pending, and honours an abort signal', async () => {
    const { console } = open();
    const controller = new AbortController();
    const first = console.expect('x', { timeoutMs: 1000, signal: controller.signal });
    await expect(console.expect('y', { timeoutMs: 10 })).rejects.toThrow(/still pending/);
    controller.abort(new Error('stop'));
    await expect(first).rejects.toThrow('stop');
  });

  it('switching printkFilter between calls keeps both views consumed to the same point', async () => {
    const { transport, console } = open();
    transport.push('ab[    1.000000] kernel says X\r\r\ncd X Y Z');
    const unfiltered = await console.expect('X', { timeoutMs: 1000, printkFilter: false });
    expect(unfiltered.before).toBe('ab[    1.000000] kernel says ');
    const filtered = await console.expect('X', { timeoutMs: 1000 });
    expect(filtered.before).toBe('cd ');
    const again = await console.expect('Z', { timeoutMs: 1000, printkFilter: false });
    expect(again.before).toBe(' Y ');
  });

  it('maps matches inside runs of multi-byte characters to their raw bytes, in any chunking', async () => {
    // Box drawing (3 bytes each) and accented letters (2 bytes) come through as runs of one width.
    const stream = Buffer.from(`${'─'.repeat(30)}X${'│'.repeat(7)}é${'éü'.repeat(9)}Y${'─'.repeat(4)}[    1.000000] k\r\n──Z`);
    const steps: Pattern[] = ['─X│', /ü(é)ü/, 'Y──', 'Z'];
    const chunkings = [[stream], splitIntoChunks(stream, 1), ...[1, 2, 3].map((seed) => splitIntoChunks(stream, 'random', seed))];
    for (const chunks of chunkings) {
      const matches = await replaySteps(chunks, steps);
      // The raw bytes up to each match end are exactly the text up to it, encoded.
      let text = '';
      for (const m of matches) {
        text += m.before + m.matchText;
        expect(stream.subarray(0, m.rawEndByte).toString('utf8')).toBe(text.replace('Y──────Z', 'Y────[    1.000000] k\r\n──Z'));
      }
    }
    // The other view is consumed to the same raw point, inside the run: the filtered view goes on after `Y───`.
    const { transport, console } = open();
    transport.push(stream);
    const unfiltered = await console.expect('Y───', { timeoutMs: 1000, printkFilter: false });
    expect(unfiltered.before.endsWith('éü')).toBe(true);
    const filtered = await console.expect('Z', { timeoutMs: 1000 });
    expect(filtered.before).toBe('───');
  });

  it('keeps memory and work bounded: a long stream without a match is searched in a window', async () => {
    const { transport, console } = open({ lookbackChars: 64 });
    const waiting = console.expect('THE-END', { timeoutMs: 10_000 });
    const filler = Buffer.from(`${'\x1b[32mnoise\x1b[0m '.repeat(1000)}\r\n`);
    for (let i = 0; i < 200; i++) transport.push(filler);
    transport.push('THE-');
    transport.push('END');
    const m = await waiting;
    expect(m.before.length).toBe(200 * 6001);
    expect(m.rawEndByte).toBe(console.bytesSeen);
  });
});

describe('SerialConsole screen view', () => {
  it('an expect that times out on a text UI shows the rendered screen, not one flattened line', async () => {
    const transport = new FakeTransport();
    using console = new SerialConsole(transport);
    console.context = { phase: 'prompt', accel: 'tcg' };
    for (const chunk of splitIntoChunks(fixture('newt-installer-menu.raw'), 'random', 5)) transport.push(chunk);
    await console.screenText();
    const error = (await console.expect('Installing the base system', { timeoutMs: 20 }).catch((e: unknown) => e)) as ExpectTimeoutError;
    expect(error).toBeInstanceOf(ExpectTimeoutError);
    const rows = error.screen!.split('\n');
    expect(rows[2]).toBe('     ┌─────────────────────┤ [!!] Select a language ├─────────────────────┐');
    expect(rows[3]).toBe('     │ Choose the language to be used for the installation process.       │');
    expect(rows[8]).toMatch(/^ {5}│ {22}English English {8}/);
    expect(error.message).toContain('Screen:\n');
    expect(error.message).toContain('  |      │ Choose the language to be used for the installation process.       │\n');
    // The stream's one line of the whole dialog is still in the error, but cut short beside the screen.
    expect(error.tail.at(-1)!.length).toBeGreaterThan(160);
    expect(error.message).not.toContain(error.tail.at(-1));
  });

  it('a line-oriented console that times out shows no screen', async () => {
    const transport = new FakeTransport();
    using console = new SerialConsole(transport);
    transport.push(fixture('busybox-initramfs.raw'));
    await console.screenText();
    const error = (await console.expect('never', { timeoutMs: 20 }).catch((e: unknown) => e)) as ExpectTimeoutError;
    expect(error.screen).toBeUndefined();
    expect(error.message).not.toContain('Screen:');
  });

  it('finds words placed with cursor moves that no stream view can read', async () => {
    const bytes = fixture('grub-menu.raw');
    for (const plan of ['whole', 'random', 7] as const) {
      const transport = new FakeTransport();
      using console = new SerialConsole(transport);
      const waiting = console.expectScreen(/Boot pre-nixos \(installer\)/, { timeoutMs: 5000 });
      for (const chunk of splitIntoChunks(bytes, plan, 3)) transport.push(chunk);
      const m = await waiting;
      expect(m.matchText).toBe('Boot pre-nixos (installer)');
      const screen = (await console.screenText())!;
      expect(screen.split('\n')[1]).toContain('GNU GRUB  version 2.06');
      expect(screen).toContain('executed automatically in 4s.');
    }
    const stream = new FakeTransport();
    using streamConsole = new SerialConsole(stream, { screen: false });
    const waiting = streamConsole.expect(['Boot pre-nixos (installer)', EOF], { timeoutMs: 1000 });
    stream.push(bytes);
    stream.end();
    expect((await waiting).pattern).toBe(EOF);
  });

  it('rejects a screen expect once the console has closed without a match', async () => {
    const transport = new FakeTransport();
    using console = new SerialConsole(transport);
    transport.push('\x1b[2J\x1b[1;1Hhello');
    transport.end();
    await expect(console.expectScreen('nope', { timeoutMs: 5000 })).rejects.toBeInstanceOf(ConsoleClosedError);
    expect((await console.expectScreen('hello', { timeoutMs: 5000 })).offset).toBe(0);
  });

  it('keeps multi-byte characters split across chunks', async () => {
    const transport = new FakeTransport();
    using console = new SerialConsole(transport);
    const waiting = console.expectScreen('● “ok” ✓', { timeoutMs: 5000 });
    for (const chunk of splitIntoChunks(Buffer.from('\x1b[2J\x1b[3;3H● “ok” ✓'), 1)) transport.push(chunk);
    expect((await waiting).offset).toBeGreaterThan(0);
  });
});
