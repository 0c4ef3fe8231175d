// Read coalescing: after a read the pty is left unread for a window, so the child's next writes arrive
// as one read; the first read after a quiet spell is never held back, and nothing is lost or reordered.
import { describe, expect, it } from 'vitest';
import { PtyTransport } from '../../../harness/console/pty-transport.ts';
import * as pty from 'node-pty';
import { type CoalescerTimers, ReadCoalescer, bigReadBytes } from '../../../harness/console/read-coalescer.ts';

function fakes() {
  const calls: string[] = [];
  const pending: { callback: () => void; ms: number }[] = [];
  const clock = { nowMs: 0 };
  const timers: CoalescerTimers = {
    now: () => clock.nowMs,
    setTimeout: (callback, ms) => {
      const timer = { callback, ms };
      pending.push(timer);
      return timer;
    },
    clearTimeout: (handle) => {
      const index = pending.indexOf(handle as (typeof pending)[number]);
      if (index !== -1) pending.splice(index, 1);
    },
  };
  const source = { pause: () => calls.push('pause'), resume: () => calls.push('resume') };
  const fire = () => pending.splice(0).forEach((timer) => timer.callback());
  /** The pause under way ends: the clock moves on by its window and the timer fires. */
  const pauseEnds = () => {
    clock.nowMs += pending[0]!.ms;
    fire();
  };
  /** `count` times, a pause ends with a read waiting for it (the output streams); the windows after each. */
  const streamingReads = (coalescer: ReadCoalescer, count: number): number[] => {
    const windows: number[] = [];
    for (let i = 0; i < count; i++) {
      pauseEnds();
      clock.nowMs += 0.5;
      coalescer.afterRead(100);
      windows.push(pending[0]!.ms);
    }
    return windows;
  };
  return { calls, pending, timers, source, fire, clock, pauseEnds, streamingReads };
}

describe('ReadCoalescer', () => {
  it('pauses once per window and resumes when it ends', () => {
    const { calls, pending, timers, source, fire } = fakes();
    const coalescer = new ReadCoalescer(source, 5, timers);
    coalescer.afterRead(100);
    coalescer.afterRead(100); // a read already buffered by the stream before the pause took effect
    expect(calls).toEqual(['pause']);
    expect(pending.map((timer) => timer.ms)).toEqual([5]);
    fire();
    expect(calls).toEqual(['pause', 'resume']);
    coalescer.afterRead(100);
    expect(calls).toEqual(['pause', 'resume', 'pause']);
  });

  it('while reads keep waiting at the end of each pause, the window doubles up to its maximum; a quiet spell brings it back', () => {
    const { pending, timers, source, clock, pauseEnds, streamingReads } = fakes();
    const coalescer = new ReadCoalescer(source, 5, timers, 40);
    coalescer.afterRead(100); // the first read after a quiet spell: the shortest window
    const windows = [pending[0]!.ms, ...streamingReads(coalescer, 4)];
    pauseEnds();
    clock.nowMs += 50; // quiet for 50 ms: a command's answer, say
    coalescer.afterRead(100);
    windows.push(pending[0]!.ms);
    expect(windows).toEqual([5, 10, 20, 40, 40, 5]);
    // A fixed window (no maximum given) never grows.
    const fixed = fakes();
    const steady = new ReadCoalescer(fixed.source, 5, fixed.timers);
    steady.afterRead(100);
    expect(fixed.streamingReads(steady, 1)).toEqual([5]);
  });

  it('a big read is not followed by a pause, nor is the small read right after it; the window halves', () => {
    const { calls, pending, timers, source, clock, pauseEnds, streamingReads } = fakes();
    const coalescer = new ReadCoalescer(source, 5, timers, 40);
    // A trickle first: the window grows to 40 ms.
    coalescer.afterRead(100);
    streamingReads(coalescer, 3);
    expect(coalescer.currentWindowMs).toBe(40);
    pauseEnds();
    calls.length = 0;
    // Then the writer outruns the window: half a line-discipline buffer or more per read.
    clock.nowMs += 0.2;
    coalescer.afterRead(4095);
    clock.nowMs += 0.2;
    coalescer.afterRead(bigReadBytes);
    expect(coalescer.currentWindowMs).toBe(10);
    clock.nowMs += 0.2;
    coalescer.afterRead(7); // the end of one of the writer's writes
    expect(calls).toEqual([]);
    expect(pending).toEqual([]);
    // A second small read in a row: the stream slowed down, and it streams (0.2 ms since the last read).
    clock.nowMs += 0.2;
    coalescer.afterRead(7);
    expect(calls).toEqual(['pause']);
    expect(pending.map((timer) => timer.ms)).toEqual([20]);
    // After a quiet spell since the last read, the shortest window again.
    pauseEnds();
    clock.nowMs += 50;
    coalescer.afterRead(7);
    expect(pending.map((timer) => timer.ms)).toEqual([5]);
  });

  it('a write to the child ends a long pause at once; its answer is read with the shortest window, growing to 40 ms at most', () => {
    const { calls, pending, timers, source, clock, pauseEnds, streamingReads } = fakes();
    const coalescer = new ReadCoalescer(source, 5, timers, 160);
    coalescer.afterRead(100);
    streamingReads(coalescer, 5);
    expect(pending.map((timer) => timer.ms)).toEqual([160]);
    calls.length = 0;
    clock.nowMs += 1;
    coalescer.wrote(); // a command typed while the kernel's output streamed
    expect(calls).toEqual(['resume']);
    expect(pending).toEqual([]);
    clock.nowMs += 0.5; // its echo, at once
    coalescer.afterRead(20);
    expect(pending.map((timer) => timer.ms)).toEqual([5]);
    // The answer streams: the window grows to 40 ms at most, until the answer pauses.
    expect(streamingReads(coalescer, 4)).toEqual([10, 20, 40, 40]);
    // After a quiet spell, output nobody asked for (a reboot's kernel, say) may grow the window to 160 ms.
    pauseEnds();
    clock.nowMs += 30;
    coalescer.afterRead(100);
    expect([pending[0]!.ms, ...streamingReads(coalescer, 5)]).toEqual([5, 10, 20, 40, 80, 160]);
    // Not paused: a write changes nothing but the next window.
    const idle = fakes();
    const quiet = new ReadCoalescer(idle.source, 5, idle.timers, 40);
    quiet.wrote();
    expect(idle.calls).toEqual([]);
  });

  it('stop resumes at once and for good; a zero window never pauses', () => {
    const { calls, pending, timers, source } = fakes();
    const coalescer = new ReadCoalescer(source, 5, timers);
    coalescer.afterRead(100);
    coalescer.stop();
    expect(calls).toEqual(['pause', 'resume']);
    expect(pending).toEqual([]);
    coalescer.afterRead(100);
    coalescer.stop();
    expect(calls).toEqual(['pause', 'resume']);
    const off = fakes();
    new ReadCoalescer(off.source, 0, off.timers).afterRead(100);
    expect(off.calls).toEqual([]);
  });

  it('on a real pty: many small writes arrive complete, in order, in fewer reads than writes', async () => {
    // 300 writes of 8 bytes, a timer tick (>= 1 ms) apart: without coalescing about one read each.
    const script = `let i = 0; const t = setInterval(() => { process.stdout.write(String(i).padStart(7, '0') + ','); if (++i === 300) { clearInterval(t); process.stdout.write('END'); } }, 1);`;
    const expected = `${Array.from({ length: 300 }, (_, i) => `${String(i).padStart(7, '0')},`).join('')}END`;
    await using transport = PtyTransport.spawn(process.execPath, ['-e', script], { columns: 80, coalesceMs: 50 });
    const chunks: Uint8Array[] = [];
    transport.onData((chunk) => chunks.push(chunk));
    await transport.exited;
    // The transport hands on exactly the bytes it read (node-pty may drop a tail at exit, as ever).
    const text = Buffer.concat(chunks).toString('latin1');
    expect(expected.startsWith(text.slice(0, -3))).toBe(true);
    expect(text.length).toBeGreaterThan(2000);
    expect(chunks.length).toBeLessThan(100);
  }, 30_000);

  it('on a real pty: a writer faster than the window is not held back (the pauses take a small part of the time)', async () => {
    // 8 MiB as fast as the pty takes it. Paused after every read, it came at 4 KiB per window (0.1 MB/s).
    const script = `const b = Buffer.alloc(65536, 120); let left = 128; const go = () => { while (left > 0) { left--; if (!process.stdout.write(b)) { process.stdout.once('drain', go); return; } } }; go();`;
    const child = pty.spawn(process.execPath, ['-e', script], { name: 'xterm', cols: 80, rows: 24, encoding: null } as pty.IPtyForkOptions);
    let pausedMs = 0;
    let pausedAt = 0;
    const source = {
      pause: () => {
        pausedAt = performance.now();
        child.pause();
      },
      resume: () => {
        pausedMs += performance.now() - pausedAt;
        child.resume();
      },
    };
    const coalescer = new ReadCoalescer(source, 5, undefined, 160);
    let bytes = 0;
    const startedAt = performance.now();
    child.onData((data: string | Buffer) => {
      bytes += data.length;
      coalescer.afterRead(data.length);
    });
    await new Promise((resolve) => child.onExit(resolve));
    coalescer.stop();
    const elapsedMs = performance.now() - startedAt;
    expect(bytes).toBeGreaterThan(7 * 1024 * 1024);
    expect(pausedMs).toBeLessThan(elapsedMs * 0.25);
  }, 60_000);
});

