// What says a file is the one seen before: path, device, inode, size, mtime and ctime, to the nanosecond.
// ctime moves on every write through the inode and cannot be set back, so a same-size rewrite that
// restores mtime (cp -p, touch -r) still gives another stamp.
import { stat } from 'node:fs/promises';
import type { Clock } from './clock.ts';

export interface FileStamp {
  path: string;
  dev: string;
  ino: string;
  size: number;
  mtimeNs: string;
  ctimeNs: string;
}

/** A stamp and when it was taken (wall clock), for `stampStillHolds`. */
export interface StampedFile {
  stamp: FileStamp;
  stampedAtMs: number;
}

/** Throws as stat does (no file, no permission). `wallNowMs` is injectable for tests (default Date.now). */
export async function stampFile(path: string, wallNowMs: Clock = Date.now): Promise<StampedFile> {
  const stampedAtMs = wallNowMs();
  const info = await stat(path, { bigint: true });
  return {
    stamp: { path, dev: String(info.dev), ino: String(info.ino), size: Number(info.size), mtimeNs: String(info.mtimeNs), ctimeNs: String(info.ctimeNs) },
    stampedAtMs,
  };
}

/** Changes closer together than this may share one ctime: the kernel's file times advance in coarse ticks. */
const settledMs = 1_000;

/**
 * Whether what was derived from the file since `stampFile` may be kept across processes under this stamp:
 * the file still has it, and had it for a while before it was stamped, so any write since would have
 * moved ctime. A file written in the same tick as the stamp, or during the work, is answered uncached.
 */
export async function stampStillHolds(stamped: StampedFile): Promise<boolean> {
  const now = await stampFile(stamped.stamp.path).catch(() => undefined); // gone or unreadable: not the same file
  if (!now || JSON.stringify(now.stamp) !== JSON.stringify(stamped.stamp)) return false;
  return Number(BigInt(stamped.stamp.ctimeNs) / 1_000_000n) <= stamped.stampedAtMs - settledMs;
}
