// Follows the pcap file QEMU's filter-dump writes for a user-mode NIC and tells of each frame that shows
// the guest has an IPv4 address (see guest-address-signal.ts), and of each forwarded connection the guest
// accepts (guest-connection-accept.ts). The file grows while QEMU runs; it is read from where the last read
// ended each time it changes, so a boot's capture costs a few small reads.
import { watch, type FSWatcher } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { monotonicNowMs } from '../util/clock.ts';
import { guestAddressEvidence } from './guest-address-signal.ts';
import { guestConnectionAccept } from './guest-connection-accept.ts';
import { PcapRecords } from './pcap-records.ts';

export interface GuestAddressSign {
  /** Which frame showed it. */
  evidence: string;
  /** When it was read (monotonic ms). */
  atMs: number;
}

export class GuestAddressWatch {
  /** The first sign; undefined before it. */
  first: GuestAddressSign | undefined;
  /** The latest sign; undefined before the first. */
  latest: GuestAddressSign | undefined;
  /** Set when the watch ended because the capture could not be read: then no sign will come. */
  problem: string | undefined;
  private readonly listeners: ((sign: GuestAddressSign | undefined) => void)[] = [];
  /** When each host-side source port last had its connection accepted by the guest (monotonic ms). */
  private readonly acceptedAtMs = new Map<number, number>();
  private readonly acceptListeners = new Set<{ peerPort: number; sinceMs: number; listener: () => void }>();
  private watcher: FSWatcher | undefined;
  private file: FileHandle | undefined;
  private readonly records = new PcapRecords();
  private readOffset = 0;
  private reading = false;
  private readAgain = false;
  private done = false;

  private constructor(private readonly path: string) {}

  /** Starts following `path` (QEMU has created it: filter-dump opens its file as QEMU starts). */
  static start(path: string): GuestAddressWatch {
    const follower = new GuestAddressWatch(path);
    follower.begin();
    return follower;
  }

  /** Ends the watch. Idempotent. */
  stop(): void {
    this.finish(undefined);
  }

  /**
   * Calls `listener` at each sign (frames come in bursts: at most once per read), and once with undefined
   * when the watch fails, after which there will be none.
   */
  onSign(listener: (sign: GuestAddressSign | undefined) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Calls `listener` once, when the guest accepts the forwarded connection whose host-side source port is
   * `peerPort` (its SYN+ACK), or at once if it did since `sinceMs` (a port is used again by later
   * connections: an accept before `sinceMs` was another's). Returns what stops listening.
   */
  onConnectionAccepted(peerPort: number, sinceMs: number, listener: () => void): () => void {
    const acceptedAtMs = this.acceptedAtMs.get(peerPort);
    if (acceptedAtMs !== undefined && acceptedAtMs >= sinceMs) {
      listener();
      return () => undefined;
    }
    const entry = { peerPort, sinceMs, listener };
    this.acceptListeners.add(entry);
    return () => this.acceptListeners.delete(entry);
  }

  private begin(): void {
    try {
      this.watcher = watch(this.path, () => this.readNew());
      this.watcher.on('error', (error) => this.finish(`watching ${this.path} failed: ${error.message}`));
    } catch (error) {
      return this.finish(`cannot watch ${this.path}: ${(error as Error).message}`);
    }
    // Whatever QEMU wrote before the watch began.
    this.readNew();
  }

  private readNew(): void {
    if (this.done) return;
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.reading = true;
    void this.readToEnd()
      .catch((error: Error) => this.finish(`reading ${this.path} failed: ${error.message}`))
      .finally(() => {
        this.reading = false;
        if (this.readAgain) {
          this.readAgain = false;
          this.readNew();
        }
      });
  }

  private async readToEnd(): Promise<void> {
    if (!this.file) {
      const file = await open(this.path, 'r');
      if (this.done) return void (await file.close());
      this.file = file;
    }
    const buffer = Buffer.allocUnsafe(64 * 1024);
    for (;;) {
      if (this.done) return;
      const { bytesRead } = await this.file.read(buffer, 0, buffer.length, this.readOffset);
      if (bytesRead === 0) return;
      this.readOffset += bytesRead;
      let evidence: string | undefined;
      const acceptedPorts: number[] = [];
      for (const frame of this.records.push(Buffer.from(buffer.subarray(0, bytesRead)))) {
        evidence = guestAddressEvidence(frame) ?? evidence;
        const accept = guestConnectionAccept(frame);
        if (accept) acceptedPorts.push(accept.peerPort);
      }
      const atMs = monotonicNowMs();
      // The address first: an accept is also a sign of it, and a listener to both sees them in that order.
      if (evidence) this.tell({ evidence, atMs });
      for (const peerPort of acceptedPorts) this.tellAccepted(peerPort, atMs);
    }
  }

  private tell(sign: GuestAddressSign): void {
    this.first ??= sign;
    this.latest = sign;
    for (const listener of this.listeners) listener(sign);
  }

  private tellAccepted(peerPort: number, atMs: number): void {
    this.acceptedAtMs.set(peerPort, atMs);
    for (const entry of this.acceptListeners) {
      if (entry.peerPort !== peerPort || atMs < entry.sinceMs) continue;
      this.acceptListeners.delete(entry);
      entry.listener();
    }
  }

  /** `problem`: why the watch failed; undefined when it was stopped. */
  private finish(problem: string | undefined): void {
    if (this.done) return;
    this.done = true;
    this.watcher?.close();
    // Closing is best effort: the handle is read-only and nothing more is read from it.
    void this.file?.close().catch(() => undefined);
    this.file = undefined;
    this.acceptListeners.clear();
    if (problem) {
      this.problem = problem;
      for (const listener of this.listeners) listener(undefined);
    }
  }
}
