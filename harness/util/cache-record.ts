// A JSON record in the cache dir, versioned and keyed: read back only when both match, written atomically.
// A cache only saves time, so reading answers undefined on anything wrong and writing never throws.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Clock } from './clock.ts';

/** Where a cached answer may come from besides this process's memory. */
export interface DiskCache {
  /** The run's cache dir; undefined keeps answers in this process's memory only (tests opt out so). */
  cacheDir: string | undefined;
  /** Wall clock (default Date.now): a record's age, a file's settling second; injectable for tests. */
  wallNowMs?: Clock;
}

type FieldType = 'boolean' | 'number' | 'string';

/** How one kind of record is laid out: `{ version, <keyField>: key, ...value }`. */
export interface CacheRecordFormat<Fields extends Record<string, FieldType> = Record<string, FieldType>> {
  /** Bumped when the record's shape or meaning changes: a record of another version is ignored. */
  version: number;
  /** The field that holds the key (e.g. `host`); the value's fields sit beside it. */
  keyField: string;
  /** The value's fields and their types: a record missing one, or holding another type, is ignored. */
  fields: Fields;
}

/** The value a format describes, e.g. `{ bannerMs: number; measuredAtMs: number }`. */
export type CacheRecordValue<Format extends CacheRecordFormat> = {
  [Name in keyof Format['fields']]: Format['fields'][Name] extends 'boolean' ? boolean : Format['fields'][Name] extends 'number' ? number : string;
};

/** Declares a format with its field types kept literal, so CacheRecordValue can read them. */
export function cacheRecordFormat<const Fields extends Record<string, FieldType>>(format: CacheRecordFormat<Fields>): CacheRecordFormat<Fields> {
  return format;
}

export async function readCacheRecord<Format extends CacheRecordFormat>(path: string, format: Format, key: unknown): Promise<CacheRecordValue<Format> | undefined> {
  try {
    const parsed: unknown = JSON.parse(await readFile(path, 'utf8'));
    if (!isObject(parsed) || parsed.version !== format.version || JSON.stringify(parsed[format.keyField]) !== JSON.stringify(key)) return undefined;
    const value: Record<string, unknown> = {};
    for (const [name, type] of Object.entries(format.fields)) {
      if (typeof parsed[name] !== type) return undefined;
      value[name] = parsed[name];
    }
    return value as CacheRecordValue<Format>;
  } catch {
    // No record, or a broken one: the caller works the answer out again.
    return undefined;
  }
}

/** Writes through a temp file and a rename, so a reader sees the old record or the new one, never half. */
export async function writeCacheRecord<Format extends CacheRecordFormat>(path: string, format: Format, key: unknown, value: CacheRecordValue<Format>): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(temporary, `${JSON.stringify({ version: format.version, [format.keyField]: key, ...value }, null, 2)}\n`);
    await rename(temporary, path);
  } catch {
    // Deliberate: an unwritable cache costs the next run the work again, never this run its result.
    await rm(temporary, { force: true }).catch(() => undefined);
  }
}

/**
 * One record per key in `dir`, named by a hash of the key (the record still holds the whole key, and a
 * reader compares it). Files, not entries of one shared file: vitest's workers and parallel CLIs write
 * at once, and a shared file's read-modify-write would let the last writer drop the others' entries.
 */
export function keyedRecordPath(dir: string, key: unknown): string {
  return join(dir, `${createHash('sha256').update(JSON.stringify(key)).digest('hex').slice(0, 32)}.json`);
}

/** Removes all but the `count` most recently written records of `dir`; never throws (like a write). */
export async function keepNewestRecords(dir: string, count: number): Promise<void> {
  try {
    const names = (await readdir(dir)).filter((name) => name.endsWith('.json'));
    if (names.length <= count) return;
    const writtenAtMs = async (path: string) => (await stat(path).catch(() => undefined))?.mtimeMs ?? 0; // gone already: oldest
    const records = await Promise.all(names.map(async (name) => ({ path: join(dir, name), mtimeMs: await writtenAtMs(join(dir, name)) })));
    records.sort((a, b) => b.mtimeMs - a.mtimeMs);
    await Promise.all(records.slice(count).map((record) => rm(record.path, { force: true })));
  } catch {
    // Another process pruned first, or the dir went away: the bound is kept by the next write.
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
