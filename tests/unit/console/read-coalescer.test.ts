// Read coalescing: after a read the pty is left unread for a window, so the child's next writes arrive
// as one read; the first read after a quiet spell is never held back, and nothing is lost or reordered.
import { describe, expect, it } from 'vitest';
import { PtyTransport } from '../../../harness/console/pty-transport.ts';
import { type CoalescerTimers, ReadCoalescer } from '../../../harness/console/read-coalescer.ts';

function fakes() {
  const calls: string[] = [];
  const pending: { callback: () => void; ms: number }[] = [];
  const timers: CoalescerTimers = {
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
  return { calls, pending, timers, source, fire };
}

describe('ReadCoalescer', () => {
  it('pauses once per window and resumes when it ends', () => {
    const { calls, pending, timers, source, fire } = fakes();
    const coalescer = new ReadCoalescer(source, 5, timers);
    coalescer.afterRead();
    coalescer.afterRead(); // a read already buffered by the stream before the pause took effect
    expect(calls).toEqual(['pause']);
    expect(pending.map((timer) => timer.ms)).toEqual([5]);
    fire();
    expect(calls).toEqual(['pause', 'resume']);
    coalescer.afterRead();
    expect(calls).toEqual(['pause', 'resume', 'pause']);
  });

  it('while reads keep waiting at the end of each pause, the window doubles up to its maximum; a quiet spell brings it back', () => {
    const { pending, timers, source } = fakes();
    let nowMs = 0;
    const coalescer = new ReadCoalescer(source, 5, { ...timers, now: () => nowMs }, 40);
    const windows: number[] = [];
    const readAt = (ms: number) => {
      nowMs = ms;
      coalescer.afterRead();
      windows.push(pending[0]!.ms);
    };
    const pauseEnds = () => {
      nowMs += pending[0]!.ms;
      pending.splice(0).forEach((timer) => timer.callback());
    };
    readAt(0); // the first read after a quiet spell: the shortest window
    for (let i = 0; i < 4; i++) {
      pauseEnds();
      readAt(nowMs + 0.5); // bytes were waiting: streaming
    }
    pauseEnds();
    readAt(nowMs + 50); // quiet for 50 ms: a command's answer, say
    expect(windows).toEqual([5, 10, 20, 40, 40, 5]);
    // A fixed window (no maximum given) never grows.
    const fixed = fakes();
    let fixedNow = 0;
    const steady = new ReadCoalescer(fixed.source, 5, { ...fixed.timers, now: () => fixedNow });
    steady.afterRead();
    fixedNow = 5;
    fixed.fire();
    fixedNow = 5.5;
    steady.afterRead();
    expect(fixed.pending.map((timer) => timer.ms)).toEqual([5]);
  });

  it('stop resumes at once and for good; a zero window never pauses', () => {
    const { calls, pending, timers, source } = fakes();
    const coalescer = new ReadCoalescer(source, 5, timers);
    coalescer.afterRead();
    coalescer.stop();
    expect(calls).toEqual(['pause', 'resume']);
    expect(pending).toEqual([]);
    coalescer.afterRead();
    coalescer.stop();
    expect(calls).toEqual(['pause', 'resume']);
    const off = fakes();
    new ReadCoalescer(off.source, 0, off.timers).afterRead();
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
});
