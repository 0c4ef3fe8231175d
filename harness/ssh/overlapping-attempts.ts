// Connection attempts that overlap instead of queueing. Through QEMU's user-mode network a connection to a
// guest whose network is not up yet is accepted on the host side and then stays silent: slirp's SYN to the
// guest was lost and is retried only seconds later (measured: attempts hung 2, 4, 8 and 10 s while sshd had
// long been listening). So while every attempt in flight is silent, another starts every interval, and one
// that has been silent too long is dropped, but for the oldest, which has a longer limit (a server that is
// only slow to answer, a loaded guest's, still gets one attempt that waits for it); once the far end says
// anything, the silent ones are dropped and no more start, so a guest is never handed a crowd of
// handshakes to do at once. An attempt the far end has answered is never dropped here: how long it may
// take is the attempt's own business (see `start`).
import { Deadline } from '../util/deadline.ts';
import { monotonicNowMs } from '../util/clock.ts';

export interface OverlappingAttemptsOptions<T> {
  /**
   * Starts one attempt: calls `heard()` when the far end first answers, resolves with a usable result or
   * rejects; after `signal` aborts it must reject soon. Once heard, it must end by itself (its own limits).
   */
  start: (heard: () => void, signal: AbortSignal) => Promise<T>;
  /** Closes a result nobody will use (it came in after another won, or after the wait ended). */
  discard: (value: T) => void;
  deadline: Deadline;
  /** Time between starts while every attempt in flight is silent, and before a retry after a failure. */
  intervalMs: number;
  /** How long the oldest attempt may stay silent, while attempts may overlap, before it is dropped. */
  oldestSilenceLimitMs: number;
  /** How long an attempt other than the oldest may stay silent before it is dropped. */
  silenceLimitMs: number;
  maxInFlight?: number;
  /**
   * Signs that the guest has an address. With them, attempts overlap only after a sign that came later than
   * the last attempt dropped for silence; before, one at a time, and silence before the first sign does not
   * count against an attempt. Through slirp, an attempt to a guest with no address yet is held (its SYN
   * retried for 75 s) and delivered once the guest has one, even after it was dropped here: overlapping
   * attempts made while the guest boots reached it all at once later (measured: 60-80 sshd connections and
   * MaxStartups throttling on the systemd flavour, in its checks).
   */
  addressSigns?: AddressSigns;
  signal?: AbortSignal;
  now?: () => number;
}

export interface AddressSigns {
  /** The first sign (monotonic ms); undefined before it. */
  readonly first: { atMs: number } | undefined;
  /** The latest sign (monotonic ms); undefined before the first. */
  readonly latest: { atMs: number } | undefined;
  /** Set when no sign will come (the watch failed): then attempts overlap as without signs. */
  readonly problem: string | undefined;
  /** Called at each sign, and with undefined when the watch fails. */
  onSign(listener: (sign: { atMs: number } | undefined) => void): void;
}

/** `attempts`: how many were started; `droppedSilent`: how many of them were dropped for staying silent. */
export type OverlappingOutcome<T> = { ok: true; value: T; attempts: number; droppedSilent: number } | { ok: false; attempts: number; droppedSilent: number; lastError: string };

interface Attempt {
  startedAtMs: number;
  heard: boolean;
  stop: AbortController;
}

class SilentTooLong extends Error {
  constructor(silenceMs: number) {
    super(`nothing came back in ${Math.round(silenceMs)} ms (another attempt was started alongside)`);
  }
}

export function overlappingAttempts<T>(options: OverlappingAttemptsOptions<T>): Promise<OverlappingOutcome<T>> {
  const now = options.now ?? monotonicNowMs;
  const maxInFlight = options.maxInFlight ?? 4;
  const inFlight = new Set<Attempt>();
  let attempts = 0;
  let droppedSilent = 0;
  let lastError = 'no attempt made';
  const silenceLimitMs = Math.min(options.silenceLimitMs, options.oldestSilenceLimitMs);
  let lastStartMs = -Infinity;
  let finished = false;
  const signs = options.addressSigns;
  let lastSilenceDropMs = -Infinity;
  const overlapAllowed = () => !signs || signs.problem !== undefined || (signs.latest !== undefined && signs.latest.atMs > lastSilenceDropMs);

  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const finish = (outcome: OverlappingOutcome<T>) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      for (const attempt of inFlight) attempt.stop.abort();
      resolve(outcome);
    };
    const onAbort = () => finish({ ok: false, attempts, droppedSilent, lastError: `stopped: ${String(options.signal?.reason ?? 'aborted')}` });
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const startOne = () => {
      const attempt: Attempt = { startedAtMs: now(), heard: false, stop: new AbortController() };
      attempts += 1;
      lastStartMs = attempt.startedAtMs;
      inFlight.add(attempt);
      const heard = () => {
        if (attempt.heard || finished) return;
        attempt.heard = true;
        // The path to the server works: silent attempts are lost packets or queued behind this one.
        for (const other of inFlight) {
          if (other === attempt || other.heard || other.stop.signal.aborted) continue;
          droppedSilent += 1;
          other.stop.abort(new SilentTooLong(now() - other.startedAtMs));
        }
      };
      options
        .start(heard, attempt.stop.signal)
        .then(
          (value) => {
            inFlight.delete(attempt);
            if (finished) options.discard(value);
            else finish({ ok: true, value, attempts, droppedSilent });
          },
          (error: unknown) => {
            inFlight.delete(attempt);
            const reason = attempt.stop.signal.reason;
            if (reason instanceof SilentTooLong) {
              if (lastError === 'no attempt made') lastError = reason.message;
            } else {
              lastError = error instanceof Error ? error.message : String(error);
            }
            tick();
          },
        );
    };

    /**
     * The oldest live attempt may stay silent oldestSilenceLimitMs, or without limit while attempts may not
     * overlap (it is then the only one, and a new one would only join it in slirp's queue); the others,
     * silenceLimitMs.
     */
    const silenceLimits = () => {
      const oldest = [...inFlight].find((attempt) => !attempt.stop.signal.aborted);
      const oldestLimitMs = overlapAllowed() ? options.oldestSilenceLimitMs : Infinity;
      return (attempt: Attempt) => (attempt === oldest ? oldestLimitMs : silenceLimitMs);
    };
    /** Silence counts from the attempt's start, or from the first address sign if that came later: before it, the guest could not answer. */
    const silentSinceMs = (attempt: Attempt) => Math.max(attempt.startedAtMs, signs?.first?.atMs ?? -Infinity);

    const tick = () => {
      if (finished) return;
      clearTimeout(timer);
      if (options.deadline.expired) {
        // Whatever is still in flight had the whole budget.
        return finish({ ok: false, attempts, droppedSilent, lastError });
      }
      const nowMs = now();
      const limitOf = silenceLimits();
      for (const attempt of inFlight) {
        if (!attempt.heard && !attempt.stop.signal.aborted && nowMs - silentSinceMs(attempt) >= limitOf(attempt)) {
          droppedSilent += 1;
          attempt.stop.abort(new SilentTooLong(nowMs - attempt.startedAtMs));
          // Silence says the guest has no address now only of an attempt made after the latest sign.
          if (!signs?.latest || attempt.startedAtMs >= signs.latest.atMs) lastSilenceDropMs = nowMs;
        }
      }
      const mayStart = () => {
        const live = [...inFlight].filter((attempt) => !attempt.stop.signal.aborted);
        return live.every((attempt) => !attempt.heard) && live.length < (overlapAllowed() ? maxInFlight : 1);
      };
      if (mayStart() && nowMs >= lastStartMs + options.intervalMs) startOne();
      // Next look: the next start (if one may start), the next silence limit or the deadline, whichever comes first.
      const waits = [options.deadline.remainingMs];
      if (mayStart()) waits.push(lastStartMs + options.intervalMs - now());
      const limitAfter = silenceLimits();
      for (const attempt of inFlight) if (!attempt.heard && !attempt.stop.signal.aborted) waits.push(silentSinceMs(attempt) + limitAfter(attempt) - now());
      timer = setTimeout(tick, Math.max(1, Math.min(...waits)));
    };

    signs?.onSign(() => tick());
    if (options.signal?.aborted) onAbort();
    else tick();
  });
}
