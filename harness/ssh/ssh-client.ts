// SSH to a guest with ssh2. Readiness is a real SSH exchange plus a command, never a TCP connect:
// slirp accepts TCP on the host side even when nothing listens in the guest.
import ssh2, { Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import type { Duplex } from 'node:stream';
import { connect, Socket } from 'node:net';
import { HarnessError } from '../errors.ts';
import type { CommandResult, CommandRunner, ExecuteOptions } from '../command/command-runner.ts';
import { Deadline } from '../util/deadline.ts';
import { monotonicNowMs } from '../util/clock.ts';
import { overlappingAttempts, type AddressSigns } from './overlapping-attempts.ts';

/**
 * Where to SSH. Without `openStream` only 127.0.0.1 is dialled (forwarded ports); a guest elsewhere
 * (on an L2 test segment) is reached over a stream the caller opens from inside that segment.
 */
export type SshTarget =
  | { host: '127.0.0.1'; port: number; username: string; privateKey: string }
  | { host: string; port: number; username: string; privateKey: string; openStream: () => Duplex };

export class SshNotReadyError extends HarnessError {
  override readonly name = 'SshNotReadyError';
  constructor(
    readonly target: { host: string; port: number; username: string },
    readonly attempts: number,
    readonly elapsedMs: number,
    readonly budgetMs: number,
    readonly lastError: string,
  ) {
    // The last error goes in the first line: reports and check verdicts keep only that line.
    super(`SSH on ${target.host}:${target.port} not ready after ${Math.round(elapsedMs)} ms (budget ${budgetMs} ms, ${attempts} attempts); last error: ${lastError}`);
  }
}

/** The private key cannot be used at all: retrying would only spend the SSH budget. */
export class SshKeyUnusableError extends HarnessError {
  override readonly name = 'SshKeyUnusableError';
  constructor(
    readonly target: { host: string; port: number; username: string },
    readonly reason: string,
  ) {
    super(`SSH to ${target.username}@${target.host}:${target.port}: the private key does not load (${reason})`, 'Fix: use an unencrypted OpenSSH or PEM private key.');
  }
}

/** Where an error says it tried to go; never the key, which a logged error object would print. */
function publicPartOf(target: SshTarget): { host: string; port: number; username: string } {
  return { host: target.host, port: target.port, username: target.username };
}

export class SshCommandTimeoutError extends HarnessError {
  override readonly name = 'SshCommandTimeoutError';
  constructor(
    readonly command: string,
    readonly timeoutMs: number,
  ) {
    super(`SSH command \`${command}\` did not finish after ${timeoutMs} ms`);
  }
}

/**
 * Proves a session works and says as whom and on which host: the readiness probe of the guest's early
 * session, so the SSH check can read its answer from there instead of opening another channel (the
 * first channel of an OpenSSH login costs ~0.5 s of the guest's CPU under TCG). Shell builtins only
 * (the login's USER, the kernel's host name): `id` and `hostname` were two more processes for the guest
 * to start, ~0.1 s on a freshly restored snapshot, where every code path is translated anew.
 */
export const identityCommand = 'echo "$USER" && read -r h </proc/sys/kernel/hostname && echo "$h"';

/**
 * Tells when the far end's TCP stack took a connection, seen from outside it: through slirp the host-side
 * connect succeeds at once whatever the guest does, so only a capture of the guest's NIC shows its SYN+ACK.
 */
export interface ConnectionAccepts {
  /** Calls `listener` once the connection from `localPort` made since `sinceMs` is accepted; returns what stops listening. */
  onConnectionAccepted(localPort: number, sinceMs: number, listener: () => void): () => void;
}

/** A server that had answered then said nothing for too long: a hung sshd, or a guest that went away. */
export class SshServerStalledError extends HarnessError {
  override readonly name = 'SshServerStalledError';
  constructor(readonly stallLimitMs: number) {
    super(`the server answered, then sent nothing for ${stallLimitMs} ms`);
  }
}

export interface ConnectWatch {
  /** Called when the server first answers: its TCP stack accepted the connection (see `accepts`) or it sent a byte. */
  heard?: () => void;
  signal?: AbortSignal;
  /** Where the acceptance of the connection can be seen; without it, only the server's first byte is heard. */
  accepts?: ConnectionAccepts;
  /** Once heard, the attempt fails after this long without a byte from the server (default: no limit but the timeout). */
  stallLimitMs?: number;
}

export interface WaitUntilReadyOptions {
  /** Time between attempt starts while none has answered (and before a retry after a failure). */
  intervalMs?: number;
  signal?: AbortSignal;
  /** Run once a session is up; it must exit 0. Its result is kept as `readyProbe`. */
  probeCommand?: string;
  /** How long an attempt other than the oldest may stay silent before it is dropped. */
  silenceLimitMs?: number;
  /** Signs that the guest has an address: before one, attempts go one at a time (see overlapping-attempts.ts). */
  addressSigns?: AddressSigns;
  /** Where the guest is seen accepting a connection: such an attempt counts as answered at once. */
  accepts?: ConnectionAccepts;
}

/** The longest the oldest attempt in flight may stay silent before it is dropped (another starts alongside earlier). */
const oldestSilenceLimitMs = 10_000;

/**
 * How long a server that answered may then say nothing before its attempt fails. An attempt that makes
 * progress is never cut: a guest busy enough (TCG on a loaded host, pre-nixos formatting a disk) took over
 * 10 s from its SYN+ACK to the end of the key exchange, and a 10 s budget per attempt then threw each
 * handshake away near its end and started another, which only made the guest busier.
 */
const serverStallLimitMs = 30_000;

export class SshSession implements CommandRunner {
  /** The command waitUntilReady ran to prove the session works, with its result. */
  readyProbe: CommandResult | undefined;
  /** How waitUntilReady got this session: attempts started, and how many of them it dropped for silence. */
  readiness: { attempts: number; droppedSilent: number } | undefined;

  private constructor(
    private readonly client: Client,
    readonly target: SshTarget,
  ) {}

  /**
   * Connects once, within `timeoutMs` for the whole handshake. Rejects with the ssh2 error when the exchange
   * fails, with SshServerStalledError when the server stops answering (`watch.stallLimitMs`), or with the
   * abort reason when `watch.signal` aborts first.
   */
  static connectOnce(target: SshTarget, timeoutMs: number, watch: ConnectWatch = {}): Promise<SshSession> {
    return new Promise((resolve, reject) => {
      const client = new Client();
      const startedAtMs = monotonicNowMs();
      // Our own socket, so the first byte from the server can be seen (through slirp the TCP connect
      // itself always succeeds at once, whether or not anything in the guest answers).
      const sock = 'openStream' in target ? target.openStream() : connect({ host: target.host, port: target.port });
      const config: ConnectConfig = {
        sock,
        username: target.username,
        privateKey: target.privateKey,
        readyTimeout: Math.max(1000, timeoutMs),
        // The guest's host key is new every boot; the channel is loopback to a VM we started.
        hostVerifier: () => true,
      };
      let settled = false;
      let heard = false;
      let stallTimer: NodeJS.Timeout | undefined;
      let stopWatchingAccept: (() => void) | undefined;
      const settle = (): boolean => {
        if (settled) return false;
        settled = true;
        clearTimeout(stallTimer);
        stopWatchingAccept?.();
        sock.off('data', onServerBytes);
        watch.signal?.removeEventListener('abort', onAbort);
        return true;
      };
      const fail = (error: unknown) => {
        if (!settle()) return;
        client.end();
        sock.destroy();
        reject(error);
      };
      const restartStallTimer = () => {
        if (watch.stallLimitMs === undefined) return;
        clearTimeout(stallTimer);
        const limitMs = watch.stallLimitMs;
        stallTimer = setTimeout(() => fail(new SshServerStalledError(limitMs)), limitMs);
      };
      const onHeard = () => {
        if (heard || settled) return;
        heard = true;
        stopWatchingAccept?.();
        watch.heard?.();
      };
      const onServerBytes = () => {
        onHeard();
        restartStallTimer();
      };
      // The accept counts like a first byte; once bytes came, it says nothing more.
      const onAcceptSeen = () => {
        if (!heard) onServerBytes();
      };
      const onAbort = () => fail(watch.signal?.reason instanceof Error ? watch.signal.reason : new Error('SSH attempt stopped'));
      client.once('ready', () => {
        if (settle()) resolve(new SshSession(client, target));
      });
      // ssh2 can emit more than one error (and errors after 'ready' when the guest goes away): keep a
      // listener for the client's whole life so none becomes an uncaught exception.
      client.on('error', (error) => {
        if (!settle()) return;
        client.end();
        reject(error);
      });
      if (watch.signal?.aborted) return onAbort();
      watch.signal?.addEventListener('abort', onAbort, { once: true });
      client.connect(config);
      // After connect(): ssh2 has paused the socket and added its own reader, so this one only watches.
      sock.on('data', onServerBytes);
      const accepts = watch.accepts;
      if (accepts && sock instanceof Socket) {
        const watchAccept = () => {
          if (settled || sock.localPort === undefined) return;
          stopWatchingAccept = accepts.onConnectionAccepted(sock.localPort, startedAtMs, onAcceptSeen);
        };
        if (sock.connecting) sock.once('connect', watchAccept);
        else watchAccept();
      }
    });
  }

  /**
   * Retries connect + `probeCommand` (default `true`) until it exits 0, the budget is spent or `signal` aborts
   * (then no further attempt starts). A caller with a command to run anyway passes it as the probe and reads
   * its result from `readyProbe`: one exchange fewer. Attempts overlap while the guest stays silent (see
   * overlapping-attempts.ts); one that stays silent `silenceLimitMs` is dropped; with `addressSigns`, only
   * one is in flight until the guest is seen to have an address; with `accepts`, an attempt the guest's TCP
   * stack took counts as answered. One that has answered fails only when the server stalls.
   */
  static async waitUntilReady(target: SshTarget, timeoutMs: number, options: WaitUntilReadyOptions = {}): Promise<SshSession> {
    const { intervalMs = 500, signal, probeCommand = 'true', silenceLimitMs = oldestSilenceLimitMs, addressSigns, accepts } = options;
    const parsedKey = ssh2.utils.parseKey(target.privateKey);
    if (parsedKey instanceof Error) throw new SshKeyUnusableError(publicPartOf(target), parsedKey.message);
    const deadline = Deadline.after(timeoutMs);
    const outcome = await overlappingAttempts<SshSession>({
      start: async (heard, attemptSignal) => {
        const session = await SshSession.connectOnce(target, Math.max(1, deadline.remainingMs), {
          heard,
          signal: attemptSignal,
          stallLimitMs: serverStallLimitMs,
          ...(accepts ? { accepts } : {}),
        });
        try {
          const probe = await session.execute(probeCommand, { timeoutMs: Math.max(1000, deadline.remainingMs) });
          session.readyProbe = probe;
          if (probe.exitCode !== 0) throw new Error(`\`${probeCommand}\` exited ${probe.exitCode}`);
          return session;
        } catch (error) {
          session.close();
          throw error;
        }
      },
      discard: (session) => session.close(),
      deadline,
      intervalMs,
      oldestSilenceLimitMs,
      silenceLimitMs,
      ...(signal ? { signal } : {}),
      ...(addressSigns ? { addressSigns } : {}),
    });
    if (outcome.ok) {
      outcome.value.readiness = { attempts: outcome.attempts, droppedSilent: outcome.droppedSilent };
      return outcome.value;
    }
    signal?.throwIfAborted();
    throw new SshNotReadyError(publicPartOf(target), outcome.attempts, deadline.elapsedMs, timeoutMs, outcome.lastError);
  }

  execute(command: string, options: ExecuteOptions = {}): Promise<CommandResult> {
    const timeoutMs = options.timeoutMs ?? 60_000;
    const startedAtMs = monotonicNowMs();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new SshCommandTimeoutError(command, timeoutMs)), timeoutMs);
      const onChannel = (error: Error | undefined, channel: ClientChannel) => {
        if (error) {
          clearTimeout(timer);
          return reject(error);
        }
        const stdout: Buffer[] = [];
        const stderr: Buffer[] = [];
        let exitCode = -1;
        channel.on('data', (chunk: Buffer) => stdout.push(chunk));
        channel.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
        channel.on('exit', (code: number | null, signal?: string) => {
          exitCode = code ?? (signal ? 128 : -1);
        });
        channel.on('close', () => {
          clearTimeout(timer);
          resolve({
            command,
            stdout: Buffer.concat(stdout).toString('utf8'),
            stderr: Buffer.concat(stderr).toString('utf8'),
            exitCode,
            durationMs: monotonicNowMs() - startedAtMs,
          });
        });
      };
      try {
        this.client.exec(command, onChannel);
      } catch (error) {
        clearTimeout(timer);
        reject(error);
      }
    });
  }

  close(): void {
    this.client.end();
  }
}
