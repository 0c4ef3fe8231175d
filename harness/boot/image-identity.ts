// What exactly was booted: sha256 and size of each image file and the ISO's volume id, recorded in the
// report so two runs can say whether they booted the same image (the path alone says nothing nightly).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
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

export async function identifyImage(source: ResolvedBootSource): Promise<ImageIdentity> {
  if (source.kind === 'ipxe' && source.mode === 'remote') return { files: [], url: source.url };
  const paths: [string, string | undefined][] =
    source.kind === 'iso' ? [['iso', source.iso]] : [['kernel', source.kernel], ['initrd', source.initrd]];
  const files: ImageFileIdentity[] = [];
  for (const [role, path] of paths) if (path) files.push({ role, path, ...(await fileDigest(path)) });
  const identity: ImageIdentity = { files };
  if (source.kind === 'iso') {
    const volumeId = await isoVolumeId(source.iso);
    if (volumeId) identity.volumeId = volumeId;
  }
  return identity;
}

/** Digests by path, size and mtime: snapshot restores and suites boot the same image many times a process. */
const digests = new Map<string, Promise<string>>();

async function fileDigest(path: string): Promise<{ sha256: string; sizeBytes: number }> {
  const info = await stat(path);
  const key = `${path}\0${info.size}\0${info.mtimeMs}`;
  let digest = digests.get(key);
  if (!digest) {
    digest = sha256Of(path);
    digests.set(key, digest);
  }
  return { sha256: await digest, sizeBytes: info.size };
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
