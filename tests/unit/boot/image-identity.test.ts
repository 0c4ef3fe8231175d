// Image digests remembered across processes: a new process reads the digest an earlier one hashed, and
// any change to the file (size, mtime, a same-size rewrite, a replaced inode) is hashed again.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { forgetImageDigests, identifyImage } from '../../../harness/boot/image-identity.ts';
import type { ResolvedBootSource } from '../../../harness/boot/boot-options.ts';
import { replaceKeepingMtime, rewriteKeepingMtime } from '../../support/file-changes.ts';

/** A digest no file has: answered only when it was read from the cache dir. */
const planted = 'a'.repeat(64);
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

let dir: string;
let cacheDir: string;
let kernel: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'image-identity-'));
  cacheDir = join(dir, 'cache');
  kernel = join(dir, 'vmlinuz');
  await writeFile(kernel, 'kernel one');
  forgetImageDigests();
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const source = (): ResolvedBootSource => ({ kind: 'kernel', kernel, initrd: undefined, append: '', isDefaultImage: false });
/** The file was written a moment ago; a clock two seconds on makes it settled, so its digest may be stored. */
const cache = () => ({ cacheDir, wallNowMs: () => Date.now() + 2_000 });
const digestDir = () => join(cacheDir, 'image-digests');
/** A new process: nothing in memory, the cache dir as the last one left it. */
async function digestInNewProcess(): Promise<string | undefined> {
  forgetImageDigests();
  return (await identifyImage(source(), cache())).files[0]?.sha256;
}
async function records(): Promise<string[]> {
  return (await readdir(digestDir()).catch(() => [])).filter((name) => name.endsWith('.json')).map((name) => join(digestDir(), name));
}
async function editRecords(edit: (record: Record<string, any>) => void): Promise<void> {
  for (const path of await records()) {
    const record = JSON.parse(await readFile(path, 'utf8'));
    edit(record);
    await writeFile(path, JSON.stringify(record));
  }
}

describe('identifyImage: digests across processes', () => {
  it('a new process answers from the cache dir without hashing again', async () => {
    expect(await digestInNewProcess()).toBe(sha256('kernel one'));
    expect(await records()).toHaveLength(1);
    await editRecords((record) => (record.sha256 = planted));
    expect(await digestInNewProcess()).toBe(planted);
  });

  it('records the file it describes: path, device, inode, size, mtime and ctime', async () => {
    await digestInNewProcess();
    const [path] = await records();
    const info = await stat(kernel, { bigint: true });
    expect(JSON.parse(await readFile(path!, 'utf8'))).toEqual({
      version: 1,
      file: { path: kernel, dev: String(info.dev), ino: String(info.ino), size: 10, mtimeNs: String(info.mtimeNs), ctimeNs: String(info.ctimeNs) },
      sha256: sha256('kernel one'),
    });
  });

  it.each<[string, () => Promise<string>]>([
    ['size', async () => (await writeFile(kernel, 'kernel one, longer'), 'kernel one, longer')],
    ['mtime', async () => (await utimes(kernel, 1_000, 1_000), 'kernel one')],
    ['ctime (a same-size rewrite that puts mtime back)', async () => (await rewriteKeepingMtime(kernel, (path) => writeFile(path, 'kernel two')), 'kernel two')],
    ['inode (replaced by rename, mtime put back)', async () => (await replaceKeepingMtime(kernel, (path) => writeFile(path, 'kernel two')), 'kernel two')],
  ])('a changed %s is hashed again', async (_what, change) => {
    await digestInNewProcess();
    await editRecords((record) => (record.sha256 = planted));
    const content = await change();
    expect(await digestInNewProcess()).toBe(sha256(content));
  });

  it('within one process too: a same-size rewrite that puts mtime back is not answered from memory', async () => {
    expect((await identifyImage(source(), { cacheDir: undefined })).files[0]?.sha256).toBe(sha256('kernel one'));
    await rewriteKeepingMtime(kernel, (path) => writeFile(path, 'kernel two'));
    expect((await identifyImage(source(), { cacheDir: undefined })).files[0]?.sha256).toBe(sha256('kernel two'));
  });

  it.each(['dev', 'ino', 'size', 'mtimeNs', 'ctimeNs', 'path'])('never trusts a record whose %s differs', async (field) => {
    await digestInNewProcess();
    await editRecords((record) => ((record.sha256 = planted), (record.file[field] = field === 'size' ? 11 : `${record.file[field]}0`)));
    expect(await digestInNewProcess()).toBe(sha256('kernel one'));
  });

  it.each<[string, () => Promise<void>]>([
    [
      'corrupt',
      async () => {
        for (const path of await records()) await writeFile(path, '{"version": 1, "file": {');
      },
    ],
    ['of another version', () => editRecords((record) => ((record.sha256 = planted), (record.version = 2)))],
    ['holding no sha256', () => editRecords((record) => delete record.sha256)],
    ['holding a sha256 that is not a string', () => editRecords((record) => (record.sha256 = 42))],
  ])('a record that is %s is hashed again', async (_what, spoil) => {
    await digestInNewProcess();
    await spoil();
    expect(await digestInNewProcess()).toBe(sha256('kernel one'));
  });

  it('a file changed within the last second is hashed but not stored (a second write in the same tick would keep its stamp)', async () => {
    forgetImageDigests();
    await identifyImage(source(), { cacheDir });
    expect(await records()).toEqual([]);
  });

  it('an unwritable cache dir costs the hashing, never the boot', async () => {
    await writeFile(cacheDir, 'a file where the cache dir should be');
    expect(await digestInNewProcess()).toBe(sha256('kernel one'));
    expect(await digestInNewProcess()).toBe(sha256('kernel one'));
  });

  it('keeps the 64 most recently written digests', async () => {
    await mkdir(digestDir(), { recursive: true });
    for (let index = 0; index < 66; index += 1) {
      await writeFile(kernel, 'x'.repeat(index + 1)); // a size of its own: a stamp of its own
      await digestInNewProcess();
    }
    expect(await records()).toHaveLength(64);
  });
});
