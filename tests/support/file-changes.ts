// Changes to a file that a cache keyed by size and mtime alone would not see, for the tests of the
// file-stamp caches (image digests, QEMU versions).
import { rename, stat, utimes } from 'node:fs/promises';
import { sleep } from '../../harness/util/clock.ts';

/** Writes the file again (`write`) until the kernel gives it a new ctime (its times advance in ticks), mtime put back each time. */
export async function rewriteKeepingMtime(path: string, write: (path: string) => Promise<unknown> | unknown): Promise<void> {
  const before = await stat(path, { bigint: true });
  for (let attempt = 0; attempt < 100; attempt += 1) {
    await write(path);
    await utimes(path, before.atime, before.mtime);
    if ((await stat(path, { bigint: true })).ctimeNs !== before.ctimeNs) return;
    await sleep(10);
  }
  throw new Error(`the ctime of ${path} never moved`);
}

/** Replaces the file by another inode (`write` makes it at the path given), renamed over it with mtime put back. */
export async function replaceKeepingMtime(path: string, write: (path: string) => Promise<unknown> | unknown): Promise<void> {
  const { mtime } = await stat(path);
  await write(`${path}.new`);
  await utimes(`${path}.new`, mtime, mtime);
  await rename(`${path}.new`, path);
}
