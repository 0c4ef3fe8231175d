// Follows the pcap file QEMU's filter-dump writes for a user-mode NIC and tells of each frame that shows
// the guest has an IPv4 address (see guest-address-signal.ts). The file grows while QEMU runs; it is read
// from where the last read ended each time it changes, so a boot's capture costs a few small reads.
import { watch, type FSWatcher } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { monotonicNowMs } from '../util/clock.ts';
import { guestAddressEvidence } from './guest-address-signal.ts';
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
      for (const frame of this.records.push(Buffer.from(buffer.subarray(0, bytesRead)))) evidence = guestAddressEvidence(frame) ?? evidence;
      if (evidence) this.tell({ evidence, atMs: monotonicNowMs() });
    }
  }

  private tell(sign: GuestAddressSign): void {
    this.first ??= sign;
    this.latest = sign;
    for (const listener of this.listeners) listener(sign);
  }

  /** `problem`: why the watch failed; undefined when it was stopped. */
  private finish(problem: string | undefined): void {
    if (this.done) return;
    this.done = true;
    this.watcher?.close();
    // Closing is best effort: the handle is read-only and nothing more is read from it.
    void this.file?.close().catch(() => undefined);
    this.file = undefined;
    if (problem) {
      this.problem = problem;
      for (const listener of this.listeners) listener(undefined);
    }
  }
}
