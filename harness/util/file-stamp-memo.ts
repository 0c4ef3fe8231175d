// A value worked out from a file (an image's sha256, a binary's `--version`), remembered by the file's
// stamp: in this process's memory, and, given a cache dir, in one record per stamp for later processes.
import { dirname, join } from 'node:path';
import { type CacheRecordFormat, type CacheRecordValue, type DiskCache, keepNewestRecords, keyedRecordPath, readCacheRecord, writeCacheRecord } from './cache-record.ts';
import { type StampedFile, stampStillHolds } from './file-stamp.ts';

export class FileStampMemo<Format extends CacheRecordFormat> {
  private readonly memory = new Map<string, Promise<CacheRecordValue<Format> | undefined>>();

  /** `keepNewest`: records kept in `<cacheDir>/<dirName>`, the most recently written (a rebuilt image adds one). */
  constructor(private readonly kind: { dirName: string; format: Format; keepNewest: number }) {}

  /** `work` answers undefined (or throws) when it has nothing worth keeping: asked again next time. */
  valueOf<Answer extends CacheRecordValue<Format> | undefined>(stamped: StampedFile, cache: DiskCache, work: () => Promise<Answer>): Promise<Answer> {
    const key = JSON.stringify(stamped.stamp);
    let value = this.memory.get(key);
    if (!value) {
      value = this.fromDiskOr(stamped, cache, work);
      this.memory.set(key, value);
      // A failed answer (a timeout on a busy host, an unreadable file) is not one to keep.
      value.then((found) => found ?? this.memory.delete(key), () => this.memory.delete(key));
    }
    // What memory or disk hold for this stamp came from the same `work`, so it is an Answer.
    return value as Promise<Answer>;
  }

  /** What a new process starts with: nothing in memory (for tests). */
  forget(): void {
    this.memory.clear();
  }

  private async fromDiskOr(stamped: StampedFile, cache: DiskCache, work: () => Promise<CacheRecordValue<Format> | undefined>): Promise<CacheRecordValue<Format> | undefined> {
    const path = cache.cacheDir === undefined ? undefined : keyedRecordPath(join(cache.cacheDir, this.kind.dirName), stamped.stamp);
    const cached = path === undefined ? undefined : await readCacheRecord(path, this.kind.format, stamped.stamp);
    if (cached) return cached;
    const value = await work();
    if (path !== undefined && value && (await stampStillHolds(stamped))) {
      await writeCacheRecord(path, this.kind.format, stamped.stamp, value);
      await keepNewestRecords(dirname(path), this.kind.keepNewest);
    }
    return value;
  }
}
