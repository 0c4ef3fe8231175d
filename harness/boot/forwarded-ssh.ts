// The guest's SSH as root over its forwarded port: tried from the moment the guest runs, handed out once
// an exchange works, dropped at a reboot (it belonged to the boot that ended) and closed at the stop.
import { withinMs } from '../util/deadline.ts';
import { identityCommand, SshNotReadyError, SshSession, type ConnectionAccepts } from '../ssh/ssh-client.ts';
import type { AddressSigns } from '../ssh/overlapping-attempts.ts';

export interface ForwardedTarget {
  host: '127.0.0.1';
  port: number;
  username: string;
  privateKey: string;
}

export class ForwardedSsh {
  private session: SshSession | undefined;
  /** The attempts started with the guest (see startEarly), until ssh() takes them over. */
  private early: Promise<SshSession> | undefined;
  private readonly stopSignal = new AbortController();

  /**
   * Starts trying at once (each early attempt is a refused connection, cheap), so the handshake (the
   * guest's crypto under TCG, ~1 s) happens while the serial shell is set up, not after it. `guestNic`
   * (a watch of the guest's NIC) says when the guest has an address, before which attempts go one at a time
   * (see overlapping-attempts.ts: slirp delivers the attempts made before that all at once, later), and
   * when its TCP stack accepts an attempt, which then counts as answered: sshd forking for it under TCG
   * can be slower than the silence limit, and dropping it would leave sshd a connection to serve for nothing.
   */
  startEarly(target: ForwardedTarget, budgetMs: number, guestNic?: AddressSigns & ConnectionAccepts): Promise<unknown> {
    // An attempt made while the guest's network is still down hangs instead of failing: after 2 s of
    // silence it is dropped (others have started alongside every 500 ms; see overlapping-attempts.ts: a
    // shorter interval starts a second login on a restored guest before the first has answered).
    // The probe is the SSH check's own command, which then reads the answer from the session.
    this.early = SshSession.waitUntilReady(target, budgetMs, {
      intervalMs: 500,
      signal: this.stopSignal.signal,
      probeCommand: identityCommand,
      silenceLimitMs: 2000,
      ...(guestNic ? { addressSigns: guestNic, accepts: guestNic } : {}),
    });
    // Its failure is the SSH check's to report, when that check asks for this session; unhandled until then.
    return this.early.catch(() => undefined);
  }

  /** The session: the one already made, the early attempts given `timeoutMs` from now, or new attempts. */
  async connect(target: ForwardedTarget, timeoutMs: number): Promise<SshSession> {
    if (this.session) return this.session;
    const early = this.early;
    this.early = undefined;
    this.session = early
      ? await withinMs(early, timeoutMs, () => {
          this.stopSignal.abort();
          const { host, port, username } = target;
          return new SshNotReadyError({ host, port, username }, 0, timeoutMs, timeoutMs, 'no SSH exchange worked in the attempts made since the guest started (every 500 ms while none answered)');
        })
      : await SshSession.waitUntilReady(target, timeoutMs);
    return this.session;
  }

  /** Closes the session in use (the guest is going down); a later connect() returns the closed one, as before. */
  closeSession(): void {
    this.session?.close();
  }

  /** The guest rebooted: its sessions belonged to the boot that ended; the next connect() makes a new one. */
  dropSessions(): void {
    this.session?.close();
    this.session = undefined;
    void this.early?.then((session) => session.close(), () => undefined);
    this.early = undefined;
  }

  /** The run stops: no attempt starts again, every session is closed. */
  close(): void {
    this.session?.close();
    this.stopSignal.abort();
    void this.early?.then((session) => session.close(), () => undefined);
  }
}

