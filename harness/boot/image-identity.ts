// What exactly was booted: sha256 and size of each image file and the ISO's volume id, recorded in the
// report so two runs can say whether they booted the same image (the path alone says nothing nightly).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { cacheRecordFormat, type DiskCache } from '../util/cache-record.ts';
import { stampFile } from '../util/file-stamp.ts';
import { FileStampMemo } from '../util/file-stamp-memo.ts';
import type { ResolvedBootSource } from './boot-options.ts';

export interface ImageFileIdentity {
  /** `iso`, `kernel` or `initrd`. */
  role: string;
  path: string;
  sha256: string;
  sizeBytes: number;
}

export interface ImageIdentity {
  files: ImageFileIdentity[];
  /** The ISO 9660 volume id (e.g. `nixos-minimal-24.05-x86_64`), when an ISO was booted. */
  volumeId?: string | undefined;
  /** A remote iPXE chain: the harness never sees the files, only the URL. */
  url?: string | undefined;
}

/** `cache`: where digests of earlier processes are kept (the run's cache dir), or none. */
export async function identifyImage(source: ResolvedBootSource, cache: DiskCache): Promise<ImageIdentity> {
  if (source.kind === 'ipxe' && source.mode === 'remote') return { files: [], url: source.url };
  const paths: [string, string | undefined][] =
    source.kind === 'iso' ? [['iso', source.iso]] : [['kernel', source.kernel], ['initrd', source.initrd]];
  const files: ImageFileIdentity[] = [];
  for (const [role, path] of paths) if (path) files.push({ role, path, ...(await fileDigest(path, cache)) });
  const identity: ImageIdentity = { files };
  if (source.kind === 'iso') {
    const volumeId = await isoVolumeId(source.iso);
    if (volumeId) identity.volumeId = volumeId;
  }
  return identity;
}

/**
 * Digests by file stamp: snapshot restores and suites boot the same image many times a process, and every
 * `harness boot` and vitest worker the same image again (a 1 GB ISO is seconds of CPU to hash).
 */
const digests = new FileStampMemo({
  dirName: 'image-digests',
  format: cacheRecordFormat({ version: 1, keyField: 'file', fields: { sha256: 'string' } }),
  keepNewest: 64,
});

/** What a new process starts with: no digest in memory (for tests). */
export function forgetImageDigests(): void {
  digests.forget();
}

async function fileDigest(path: string, cache: DiskCache): Promise<{ sha256: string; sizeBytes: number }> {
  const stamped = await stampFile(path, cache.wallNowMs);
  const digest = await digests.valueOf(stamped, cache, async () => ({ sha256: await sha256Of(path) }));
  return { sha256: digest.sha256, sizeBytes: stamped.stamp.size };
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** ISO 9660 primary volume descriptor at sector 16: type 1, `CD001`, volume id at bytes 40–71. */
export async function isoVolumeId(path: string): Promise<string | undefined> {
  const handle = await open(path, 'r');
  try {
    const sector = Buffer.alloc(2048);
    const { bytesRead } = await handle.read(sector, 0, 2048, 16 * 2048);
    if (bytesRead < 72 || sector[0] !== 1 || sector.toString('latin1', 1, 6) !== 'CD001') return undefined;
    return sector.toString('latin1', 40, 72).trim() || undefined;
  } finally {
    await handle.close();
  }
}
