// Attempts that overlap while the far end is silent (a lost SYN through slirp), without a real guest:
// fake attempts that hear, hang, fail or succeed on cue.
import { createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { overlappingAttempts } from '../../../harness/ssh/overlapping-attempts.ts';
import { SshServerStalledError, SshSession, type ConnectionAccepts } from '../../../harness/ssh/ssh-client.ts';
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
const common = { discard: (value: string) => discarded.push(value), intervalMs: 10, oldestSilenceLimitMs: 60_000 };

describe('overlappingAttempts', () => {
  it('a silent attempt does not hold up the next: another starts alongside and wins, the silent one is dropped', async () => {
    // The silence limit is far beyond the test's own time limit: only starting alongside can pass this.
    const attempts = scripted([silentUntilAborted, answers]);
    const outcome = await overlappingAttempts({ ...common, start: attempts.start, deadline: Deadline.after(60_000), silenceLimitMs: 60_000 });
    expect(outcome).toEqual({ ok: true, value: 'session', attempts: 2, droppedSilent: 1 });
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
    expect(await outcome).toEqual({ ok: true, value: 'slow session', attempts: 2, droppedSilent: 1 });
  });

  it('keeps at most maxInFlight silent attempts, drops them after the silence limit, and fails at the deadline naming the last error', async () => {
    const attempts = scripted([silentUntilAborted]);
    const outcome = await overlappingAttempts({ ...common, start: attempts.start, deadline: Deadline.after(300), silenceLimitMs: 50, maxInFlight: 2 });
    expect(outcome.ok).toBe(false);
    expect(attempts.started()).toBeGreaterThan(2);
    expect(outcome).toMatchObject({ lastError: expect.stringMatching(/nothing came back in \d+ ms/) });
    // Every one dropped for silence is counted; those in flight at the deadline (the oldest, maybe one
    // more, maxInFlight 2) are not.
    expect(outcome.droppedSilent).toBeGreaterThan(0);
    expect(outcome.droppedSilent).toBeGreaterThanOrEqual(attempts.started() - 2);
    expect(outcome.droppedSilent).toBeLessThanOrEqual(attempts.started() - 1);
  });

  it('the oldest silent attempt has a longer limit: a server slow to say its first word is still waited for', async () => {
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

  /** Signs of the guest's address given on cue, as the boot's capture watch gives them. */
  function cuedSigns() {
    const listeners: ((sign: { atMs: number } | undefined) => void)[] = [];
    const signs = {
      first: undefined as { atMs: number } | undefined,
      latest: undefined as { atMs: number } | undefined,
      problem: undefined as string | undefined,
      onSign: (listener: (sign: { atMs: number } | undefined) => void) => void listeners.push(listener),
      give: () => {
        signs.latest = { atMs: performance.now() };
        signs.first ??= signs.latest;
        for (const listener of listeners) listener(signs.latest);
      },
      fail: (problem: string) => {
        signs.problem = problem;
        for (const listener of listeners) listener(undefined);
      },
    };
    return signs;
  }
  const sleepMs = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  /** Silent attempts under `signs`, until the test ends them. */
  function silentAttemptsWith(signs: ReturnType<typeof cuedSigns>, options: { silenceLimitMs: number; oldestSilenceLimitMs?: number }) {
    const attempts = scripted([silentUntilAborted]);
    const end = new AbortController();
    const outcome = overlappingAttempts({ ...common, ...options, start: attempts.start, deadline: Deadline.after(60_000), addressSigns: signs, signal: end.signal });
    return { attempts, end, outcome };
  }

  it('with address signs: one attempt at a time until the first sign, then they overlap', async () => {
    const signs = cuedSigns();
    const { attempts, end, outcome } = silentAttemptsWith(signs, { silenceLimitMs: 60_000 });
    await sleepMs(200);
    // Twenty intervals without a sign: still the one attempt (through slirp, each would be delivered later).
    expect(attempts.started()).toBe(1);
    signs.give();
    await expect.poll(() => attempts.started(), { timeout: 2000 }).toBe(4);
    const stop = overlappingAttempts({ ...common, start: scripted([answers]).start, deadline: Deadline.after(1000), silenceLimitMs: 60_000, addressSigns: signs });
    // A guest seen to have its address before the attempts begin: no waiting at all.
    expect(await stop).toMatchObject({ ok: true, value: 'session', attempts: 1, droppedSilent: 0 });
    end.abort();
    expect(await outcome).toMatchObject({ ok: false });
  });

  it('with address signs: after an attempt is dropped for silence, one at a time again until a newer sign', async () => {
    const signs = cuedSigns();
    signs.give();
    // The guest had an address, then lost it (a renamed NIC, a kernel after iPXE): its silence says so.
    const { attempts, end, outcome } = silentAttemptsWith(signs, { silenceLimitMs: 50 });
    await sleepMs(300);
    const afterSilence = attempts.started();
    expect(attempts.aborted.length).toBeGreaterThan(0);
    await sleepMs(300);
    // Only the oldest (whole budget) is left, and nothing more starts while the guest stays silent.
    expect(attempts.started()).toBe(afterSilence);
    signs.give();
    await expect.poll(() => attempts.started(), { timeout: 2000 }).toBeGreaterThan(afterSilence);
    end.abort();
    expect(await outcome).toMatchObject({ ok: false });
  });

  it('with address signs: before the first, the one attempt is not dropped for silence, whatever its limit', async () => {
    const signs = cuedSigns();
    const { attempts, end, outcome } = silentAttemptsWith(signs, { silenceLimitMs: 20, oldestSilenceLimitMs: 50 });
    await sleepMs(300);
    // Dropped, it would stay in slirp's queue all the same, and its successor would join it there.
    expect(attempts.started()).toBe(1);
    expect(attempts.aborted).toEqual([]);
    signs.give();
    // The sign: fresh attempts overlap it (when the old one is let go: the next test).
    await expect.poll(() => attempts.started(), { timeout: 2000 }).toBeGreaterThan(2);
    end.abort();
    expect(await outcome).toMatchObject({ ok: false });
  });

  it('with address signs: silence before the first sign does not count, the oldest gets its whole limit after it', async () => {
    const signs = cuedSigns();
    // Held by slirp until the guest has its address, the attempt made before is delivered at slirp's next
    // SYN retry: dropped at the sign, it would reach sshd all the same, beside its successor.
    const { attempts, end, outcome } = silentAttemptsWith(signs, { silenceLimitMs: 60_000, oldestSilenceLimitMs: 400 });
    await sleepMs(600);
    signs.give();
    await sleepMs(100);
    expect(attempts.aborted).toEqual([]);
    expect(attempts.started()).toBe(4);
    await expect.poll(() => attempts.aborted, { timeout: 2000 }).toContain(0);
    end.abort();
    expect(await outcome).toMatchObject({ ok: false });
  });

  it('with address signs whose watch failed: attempts overlap as without them', async () => {
    const signs = cuedSigns();
    const { attempts, end, outcome } = silentAttemptsWith(signs, { silenceLimitMs: 60_000 });
    await sleepMs(100);
    expect(attempts.started()).toBe(1);
    signs.fail('capture unreadable');
    await expect.poll(() => attempts.started(), { timeout: 2000 }).toBe(4);
    end.abort();
    expect(await outcome).toMatchObject({ ok: false });
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

  /** A TCP server on 127.0.0.1 that runs `serve` for each connection; closed by the returned function. */
  async function tcpServer(serve: (socket: Socket) => void) {
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
      serve(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const close = () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    };
    return { port: (server.address() as { port: number }).port, close };
  }
  const key = newEd25519KeyPair('stall').privateKey;

  it('a connection the far end is seen to accept is heard before the server speaks, and then fails only when the server stalls', async () => {
    // slirp: the host-side connect succeeds whatever the guest does; only the guest's SYN+ACK says it took it.
    const remotePorts: number[] = [];
    const server = await tcpServer((socket) => remotePorts.push(socket.remotePort!));
    const watched: { localPort: number; sinceMs: number }[] = [];
    const accepts: ConnectionAccepts = {
      onConnectionAccepted: (localPort, sinceMs, listener) => {
        watched.push({ localPort, sinceMs });
        const timer = setTimeout(listener, 20);
        return () => clearTimeout(timer);
      },
    };
    try {
      let heard = false;
      // The handshake's own timeout is a minute: only the stall limit can end this attempt in the test's time.
      const error = await SshSession.connectOnce({ host: '127.0.0.1', port: server.port, username: 'root', privateKey: key }, 60_000, { heard: () => (heard = true), accepts, stallLimitMs: 300 }).catch(
        (caught: unknown) => caught,
      );
      expect(heard).toBe(true);
      expect(error).toBeInstanceOf(SshServerStalledError);
      expect((error as Error).message).toBe('the server answered, then sent nothing for 300 ms');
      // The acceptance watched is that of this very connection.
      expect(watched.map((entry) => entry.localPort)).toEqual(remotePorts);
    } finally {
      server.close();
    }
  });

  it('a server that keeps sending is not cut by the stall limit, however long it takes in all', async () => {
    // Its version line one byte every 60 ms (~1.2 s in all, four times the stall limit), then nothing.
    const line = 'SSH-2.0-slow_server\r\n';
    let lastByteAtMs = 0;
    const server = await tcpServer((socket) => {
      let at = 0;
      const timer = setInterval(() => {
        if (at >= line.length || socket.destroyed) return clearInterval(timer);
        socket.write(line[at++]!);
        lastByteAtMs = performance.now();
      }, 60);
      socket.on('close', () => clearInterval(timer));
    });
    try {
      const error = await SshSession.connectOnce({ host: '127.0.0.1', port: server.port, username: 'root', privateKey: key }, 60_000, { stallLimitMs: 300 }).catch((caught: unknown) => caught);
      const failedAtMs = performance.now();
      expect(error).toBeInstanceOf(SshServerStalledError);
      // Given up only after the server's last byte, by at least the stall limit.
      expect(lastByteAtMs).toBeGreaterThan(0);
      expect(failedAtMs - lastByteAtMs).toBeGreaterThanOrEqual(290);
    } finally {
      server.close();
    }
  });

  it('without a sign of acceptance, a server that accepts TCP and says nothing is not heard', async () => {
    const server = await tcpServer(() => undefined);
    try {
      let heard = false;
      const error = await SshSession.connectOnce({ host: '127.0.0.1', port: server.port, username: 'root', privateKey: key }, 1000, { heard: () => (heard = true), stallLimitMs: 100 }).catch((caught: unknown) => caught);
      expect(heard).toBe(false);
      // The handshake's timeout, not the stall limit: a silent server never started the stall clock.
      expect(error).not.toBeInstanceOf(SshServerStalledError);
      expect((error as Error).message).toMatch(/handshake/i);
    } finally {
      server.close();
    }
  });
});
