// Attempts that overlap while the far end is silent (a lost SYN through slirp), without a real guest:
// fake attempts that hear, hang, fail or succeed on cue.
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { overlappingAttempts } from '../../../harness/ssh/overlapping-attempts.ts';
import { SshSession } from '../../../harness/ssh/ssh-client.ts';
import { newEd25519KeyPair } from '../../../harness/ssh/ssh-key.ts';
import { Deadline } from '../../../harness/util/deadline.ts';

type Script = (heard: () => void, signal: AbortSignal) => Promise<string>;

/** Runs attempt number n (from 0) by script[n] (the last one repeats); records which were aborted. */
function scripted(scripts: Script[]) {
  const aborted: number[] = [];
  let started = 0;
  const start = (heard: () => void, signal: AbortSignal) => {
    const index = started++;
    signal.addEventListener('abort', () => aborted.push(index));
    return scripts[Math.min(index, scripts.length - 1)]!(heard, signal);
  };
  return { start, aborted, started: () => started };
}

const silentUntilAborted: Script = (_heard, signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
const answers: Script = async (heard) => {
  heard();
  return 'session';
};
const refused: Script = () => Promise.reject(new Error('ECONNREFUSED'));
const discarded: string[] = [];
const common = { discard: (value: string) => discarded.push(value), intervalMs: 10, attemptTimeoutMs: 60_000 };

describe('overlappingAttempts', () => {
  it('a silent attempt does not hold up the next: another starts alongside and wins, the silent one is dropped', async () => {
    // The silence limit is far beyond the test's own time limit: only starting alongside can pass this.
    const attempts = scripted([silentUntilAborted, answers]);
    const outcome = await overlappingAttempts({ ...common, start: attempts.start, deadline: Deadline.after(60_000), silenceLimitMs: 60_000 });
    expect(outcome).toEqual({ ok: true, value: 'session', attempts: 2 });
    expect(attempts.aborted).toContain(0);
  });

  it('once the far end has said anything, no more attempts start and the silent ones are dropped', async () => {
    let finishHeard: (value: string) => void = () => undefined;
    const heardThenSlow: Script = (heard) => {
      heard();
      return new Promise((resolve) => (finishHeard = resolve));
    };
    const attempts = scripted([silentUntilAborted, heardThenSlow, answers]);
    const outcome = overlappingAttempts({ ...common, start: attempts.start, deadline: Deadline.after(60_000), silenceLimitMs: 60_000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Twenty intervals later, still two: the one that heard is left to finish its handshake alone.
    expect(attempts.started()).toBe(2);
    expect(attempts.aborted).toEqual([0]);
    finishHeard('slow session');
    expect(await outcome).toEqual({ ok: true, value: 'slow session', attempts: 2 });
  });

  it('keeps at most maxInFlight silent attempts, drops them after the silence limit, and fails at the deadline naming the last error', async () => {
    const attempts = scripted([silentUntilAborted]);
    const outcome = await overlappingAttempts({ ...common, start: attempts.start, deadline: Deadline.after(300), silenceLimitMs: 50, maxInFlight: 2 });
    expect(outcome.ok).toBe(false);
    expect(attempts.started()).toBeGreaterThan(2);
    expect(outcome).toMatchObject({ lastError: expect.stringMatching(/nothing came back in \d+ ms/) });
  });

  it('the oldest silent attempt keeps its whole budget: a server slow to say its first word is still waited for', async () => {
    const slowServer: Script = (heard) =>
      new Promise((resolve) =>
        setTimeout(() => {
          heard();
          resolve('slow but there');
        }, 300),
      );
    const attempts = scripted([slowServer, silentUntilAborted]);
    // Every attempt but the oldest is dropped after 50 ms of silence, six times sooner than the server answers.
    const outcome = await overlappingAttempts({ ...common, start: attempts.start, deadline: Deadline.after(60_000), silenceLimitMs: 50 });
    expect(outcome).toMatchObject({ ok: true, value: 'slow but there' });
    expect(attempts.aborted).not.toContain(0);
  });

  it('retries after refusals, one interval apart, and reports the refusal', async () => {
    const attempts = scripted([refused]);
    const outcome = await overlappingAttempts({ ...common, start: attempts.start, deadline: Deadline.after(200), silenceLimitMs: 1000, intervalMs: 20 });
    expect(outcome).toMatchObject({ ok: false, lastError: 'ECONNREFUSED' });
    expect(attempts.started()).toBeGreaterThan(1);
  });

  it('a result that comes in after another won is closed, not leaked', async () => {
    discarded.length = 0;
    let late: (value: string) => void = () => undefined;
    const slow: Script = () => new Promise((resolve) => (late = resolve));
    const attempts = scripted([slow, answers]);
    const outcome = await overlappingAttempts({ ...common, start: attempts.start, deadline: Deadline.after(60_000), silenceLimitMs: 60_000 });
    expect(outcome).toMatchObject({ ok: true, value: 'session' });
    late('late session');
    await new Promise((resolve) => setImmediate(resolve));
    expect(discarded).toEqual(['late session']);
  });

  it('stops at once when the caller aborts', async () => {
    const stop = new AbortController();
    const attempts = scripted([silentUntilAborted]);
    const outcome = overlappingAttempts({ ...common, start: attempts.start, deadline: Deadline.after(60_000), silenceLimitMs: 60_000, signal: stop.signal });
    stop.abort(new Error('run stopped'));
    expect(await outcome).toMatchObject({ ok: false, lastError: expect.stringContaining('run stopped') });
  });
});

describe('SshSession.connectOnce', () => {
  it('says when the server first speaks, before any handshake', async () => {
    // A server that sends its version line and then nothing: heard, then the attempt times out.
    const server = createServer((socket) => socket.write('SSH-2.0-silent_after_hello\r\n'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as { port: number }).port;
      let heard = false;
      const attempt = SshSession.connectOnce({ host: '127.0.0.1', port, username: 'root', privateKey: newEd25519KeyPair('heard').privateKey }, 1000, { heard: () => (heard = true) });
      await expect(attempt).rejects.toThrow();
      expect(heard).toBe(true);
    } finally {
      server.close();
    }
  });
});
