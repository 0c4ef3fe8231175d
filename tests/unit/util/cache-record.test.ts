// The cache dir's records: read back only under the same version and key, written whole or not at all.
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cacheRecordFormat, keepNewestRecords, keyedRecordPath, readCacheRecord, writeCacheRecord } from '../../../harness/util/cache-record.ts';

const format = cacheRecordFormat({ version: 3, keyField: 'host', fields: { answer: 'number' } });
const key = { hostname: 'vm', qemu: '7.2.22' };

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cache-record-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readCacheRecord / writeCacheRecord', () => {
  it('reads back what was written, laid out as { version, <keyField>, ...value }', async () => {
    const path = join(dir, 'nested', 'record.json');
    await writeCacheRecord(path, format, key, { answer: 42 });
    expect(await readCacheRecord(path, format, key)).toEqual({ answer: 42 });
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ version: 3, host: key, answer: 42 });
    expect(await readdir(join(dir, 'nested'))).toEqual(['record.json']);
  });

  it.each<[string, string]>([
    ['no file', ''],
    ['corrupt JSON', '{"version": 3, "host": '],
    ['JSON that is not an object', '[3]'],
    ['JSON null', 'null'],
    ['another version', JSON.stringify({ version: 2, host: key, answer: 42 })],
    ['another key', JSON.stringify({ version: 3, host: { ...key, qemu: '8.2.2' }, answer: 42 })],
    ['no key', JSON.stringify({ version: 3, answer: 42 })],
    ['a value of the wrong type', JSON.stringify({ version: 3, host: key, answer: '42' })],
    ['a value missing', JSON.stringify({ version: 3, host: key })],
  ])('answers undefined for %s', async (what, text) => {
    const path = join(dir, 'record.json');
    if (what !== 'no file') await writeFile(path, text);
    expect(await readCacheRecord(path, format, key)).toBeUndefined();
  });

  it.each([
    ['the cache dir is a file', async () => (await writeFile(join(dir, 'a-file'), 'x'), join(dir, 'a-file', 'record.json'))],
    ['a directory stands where the record goes', async () => (await mkdir(join(dir, 'record.json', 'inside'), { recursive: true }), join(dir, 'record.json'))],
  ])('never throws when %s, and leaves no temp file', async (_what, arrange) => {
    const path = await arrange();
    await expect(writeCacheRecord(path, format, key, { answer: 1 })).resolves.toBeUndefined();
    expect(await readCacheRecord(path, format, key)).toBeUndefined();
    expect((await readdir(dir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});

describe('keyed records', () => {
  it('one file per key, named by its hash', () => {
    expect(keyedRecordPath(dir, key)).toBe(keyedRecordPath(dir, { ...key }));
    expect(keyedRecordPath(dir, key)).not.toBe(keyedRecordPath(dir, { ...key, qemu: '8.2.2' }));
    expect(keyedRecordPath(dir, key)).toMatch(new RegExp(`^${dir}/[0-9a-f]{32}\\.json$`));
  });

  it('keeps the most recently written records, up to the bound', async () => {
    for (const index of [0, 1, 2, 3, 4]) {
      const path = keyedRecordPath(dir, { index });
      await writeCacheRecord(path, format, { index }, { answer: index });
      await utimes(path, 1_000 + index, 1_000 + index);
    }
    await writeFile(join(dir, 'not-a-record.txt'), 'left alone');
    await keepNewestRecords(dir, 3);
    const kept = await Promise.all([0, 1, 2, 3, 4].map((index) => readCacheRecord(keyedRecordPath(dir, { index }), format, { index })));
    expect(kept).toEqual([undefined, undefined, { answer: 2 }, { answer: 3 }, { answer: 4 }]);
    expect(await readdir(dir)).toContain('not-a-record.txt');
  });

  it('pruning a dir that is not there does not throw', async () => {
    await expect(keepNewestRecords(join(dir, 'absent'), 3)).resolves.toBeUndefined();
  });
});
