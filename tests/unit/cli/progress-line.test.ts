// The live status line of `harness boot`: redrawn in place on a terminal, phase lines kept intact,
// plain lines only off a terminal or in CI, colour only without NO_COLOR. Fake CliIO, clock and ticker.
import { describe, expect, it } from 'vitest';
import type { PhaseMark } from '../../../harness/boot/boot-phase.ts';
import { formatPhase } from '../../../harness/cli/boot-output.ts';
import type { CliIO } from '../../../harness/cli/cli-io.ts';
import { colourWanted, eraseLine, liveProgressWanted, ProgressLine, type Ticker } from '../../../harness/cli/progress-line.ts';

function fakeIo(options: { isTTY: boolean; env?: NodeJS.ProcessEnv; columns?: number }) {
  const written: string[] = [];
  const io: CliIO = {
    stdout: (text) => written.push(text),
    stderr: (text) => written.push(`[stderr]${text}`),
    isTTY: options.isTTY,
    columns: options.columns,
    env: options.env ?? {},
    cwd: '/',
  };
  return { io, written, text: () => written.join('') };
}

function fakeTime() {
  let nowMs = 1000;
  let tick: (() => void) | undefined;
  let intervalMs: number | undefined;
  let stops = 0;
  const ticker: Ticker = (every, onTick) => {
    intervalMs = every;
    tick = onTick;
    return () => {
      stops++;
      tick = undefined;
    };
  };
  return {
    clock: () => nowMs,
    ticker,
    /** Advances the clock and fires the ticker once, as a real interval would. */
    advance(ms: number) {
      nowMs += ms;
      tick?.();
    },
    intervalMs: () => intervalMs,
    stops: () => stops,
    ticking: () => tick !== undefined,
  };
}

/** What a terminal shows after `text`: CR returns to column 0, ESC[2K clears the line, colour is dropped. */
function screen(text: string): string[] {
  const lines: string[] = [''];
  let column = 0;
  for (let i = 0; i < text.length; i++) {
    const rest = text.slice(i);
    const csi = /^\x1b\[([0-9;]*)([A-Za-z])/.exec(rest);
    if (csi) {
      if (csi[2] === 'K' && csi[1] === '2') lines[lines.length - 1] = '';
      i += csi[0].length - 1;
      continue;
    }
    const char = text[i]!;
    if (char === '\r') column = 0;
    else if (char === '\n') {
      lines.push('');
      column = 0;
    } else {
      const line = lines[lines.length - 1]!;
      lines[lines.length - 1] = line.slice(0, column).padEnd(column) + char + line.slice(column + 1);
      column++;
    }
  }
  return lines;
}

const marks: PhaseMark[] = [
  { phase: 'qemu', atMs: 0, evidence: '/usr/bin/qemu-system-x86_64 -accel tcg' },
  { phase: 'kernel', atMs: 1500, evidence: 'Linux version 6.1.0' },
  { phase: 'prompt', atMs: 8200, evidence: 'harness prompt installed' },
];

function progressFor(io: CliIO, time: ReturnType<typeof fakeTime>, budgetMs = 240_000) {
  return new ProgressLine({
    write: io.stdout,
    live: liveProgressWanted(io, false),
    colour: colourWanted(io),
    columns: io.columns,
    promptBudgetMs: budgetMs,
    clock: time.clock,
    ticker: time.ticker,
  });
}

describe('ProgressLine on a terminal', () => {
  it('redraws one status line in place with phase, elapsed and budget; phase lines stay whole above it', () => {
    const { io, text } = fakeIo({ isTTY: true, env: { NO_COLOR: '1' } });
    const time = fakeTime();
    const progress = progressFor(io, time);
    progress.start();
    expect(time.intervalMs()).toBe(250);
    expect(screen(text())).toEqual(['- starting · 0.0 s elapsed · prompt budget 240 s']);

    time.advance(250);
    progress.phaseReached(marks[0]!);
    time.advance(1250);
    progress.phaseReached(marks[1]!);
    time.advance(250);
    // Three ticks so far: the spinner has moved three frames.
    expect(screen(text())).toEqual([formatPhase(marks[0]!).trimEnd(), formatPhase(marks[1]!).trimEnd(), '/ kernel · 1.8 s elapsed · prompt budget 240 s']);

    time.advance(6750);
    progress.phaseReached(marks[2]!);
    time.advance(3000);
    expect(screen(text()).at(-1)).toBe('\\ prompt · 11.5 s elapsed · prompt reached at 8.5 s');

    progress.print('Accelerator: tcg (no KVM)\n');
    progress.stop();
    // After stop the status line is gone: only what was printed remains, and nothing redraws it.
    expect(screen(text())).toEqual([...marks.map((mark) => formatPhase(mark).trimEnd()), 'Accelerator: tcg (no KVM)', '']);
    expect(time.stops()).toBe(1);
    expect(time.ticking()).toBe(false);
    progress.stop();
    expect(time.stops()).toBe(1);
  });

  it('redraws with CR + erase line, never a newline of its own', () => {
    const { io, written } = fakeIo({ isTTY: true, env: { NO_COLOR: '1' } });
    const time = fakeTime();
    const progress = progressFor(io, time);
    progress.start();
    time.advance(250);
    time.advance(250);
    const redraws = written.slice(1);
    expect(redraws).toHaveLength(2);
    for (const redraw of redraws) {
      expect(redraw.startsWith(eraseLine)).toBe(true);
      expect(redraw).not.toContain('\n');
    }
    progress.stop();
  });

  it('cuts the status line to the terminal width, so it never wraps', () => {
    const { io, text } = fakeIo({ isTTY: true, env: { NO_COLOR: '1' }, columns: 20 });
    const time = fakeTime();
    const progress = progressFor(io, time);
    progress.start();
    expect(screen(text())).toEqual(['- starting · 0.0 s ']);
    expect(screen(text())[0]).toHaveLength(19);
    progress.stop();
  });

  it('colours the status line unless NO_COLOR, and turns it yellow once 80 % of the budget is spent', () => {
    const coloured = fakeIo({ isTTY: true });
    const time = fakeTime();
    const progress = progressFor(coloured.io, time, 10_000);
    progress.start();
    expect(coloured.text()).toContain('\x1b[2m- starting');
    time.advance(8500);
    expect(coloured.written.at(-1)).toContain('\x1b[33m');
    progress.stop();

    const plain = fakeIo({ isTTY: true, env: { NO_COLOR: '1' } });
    const plainProgress = progressFor(plain.io, fakeTime(), 10_000);
    plainProgress.start();
    plainProgress.phaseReached(marks[0]!);
    plainProgress.stop();
    expect(plain.text()).not.toMatch(/\x1b\[[0-9;]*m/);
  });
});

describe('ProgressLine off a terminal', () => {
  it.each([
    ['stdout is not a terminal', { isTTY: false }],
    ['CI is set', { isTTY: true, env: { CI: 'true' } }],
    ['TERM=dumb', { isTTY: true, env: { TERM: 'dumb' } }],
  ])('%s: plain phase lines only, no cursor control, no timer', (_title, options) => {
    const { io, text } = fakeIo(options);
    const time = fakeTime();
    const progress = progressFor(io, time);
    progress.start();
    for (const mark of marks) {
      time.advance(1000);
      progress.phaseReached(mark);
    }
    progress.stop();
    expect(text()).toBe(marks.map(formatPhase).join(''));
    expect(time.intervalMs()).toBeUndefined();
  });

  it('CI=false and CI=0 still count as a terminal session', () => {
    expect(liveProgressWanted(fakeIo({ isTTY: true, env: { CI: 'false' } }).io, false)).toBe(true);
    expect(liveProgressWanted(fakeIo({ isTTY: true, env: { CI: '0' } }).io, false)).toBe(true);
    expect(liveProgressWanted(fakeIo({ isTTY: true }).io, true)).toBe(false);
  });
});
