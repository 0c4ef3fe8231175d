// Checks a user's image path before QEMU sees it, so bad input gets a clear error instead of a boot timeout.
import { open, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UsageError } from '../errors.ts';

export type ImageKind = 'iso' | 'kernel' | 'initrd' | 'disk';

const fixes: Record<ImageKind, string> = {
  iso: 'pass the path of a bootable ISO 9660 image (e.g. the result of your ISO build)',
  kernel: 'pass the path of a Linux kernel image (bzImage/vmlinuz)',
  initrd: 'pass the path of an initramfs (cpio archive, optionally compressed)',
  disk: 'pass the path of a disk image (raw or qcow2); the guest writes to an overlay, never to it',
};

/** Resolves and checks `path` given through `option`; returns the absolute path. Opens read-only. */
export async function checkImageFile(path: string, kind: ImageKind, option: string): Promise<string> {
  const absolute = resolve(path);
  const input = `${option} ${path}`;
  let info;
  try {
    info = await stat(absolute);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(input, 'no such file', fixes[kind]);
    throw new UsageError(input, `cannot be read (${code})`, fixes[kind]);
  }
  if (info.isDirectory()) throw new UsageError(input, 'is a directory, not a file', fixes[kind]);
  if (!info.isFile() && !info.isBlockDevice()) throw new UsageError(input, 'is not a regular file', fixes[kind]);
  if (info.isFile() && info.size === 0) throw new UsageError(input, 'is empty (0 bytes)', fixes[kind]);
  let head: Buffer;
  try {
    const handle = await open(absolute, 'r');
    try {
      head = Buffer.alloc(0x8006);
      const { bytesRead } = await handle.read(head, 0, head.length, 0);
      head = head.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new UsageError(input, `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, 'fix its permissions, or run as a user who can read it');
  }
  if (kind === 'iso') checkIso(head, input);
  if (kind === 'kernel') checkKernel(head, input);
  return absolute;
}

function checkIso(head: Buffer, input: string): void {
  // ISO 9660: the primary volume descriptor sits at sector 16 with the magic "CD001".
  if (head.length >= 0x8006 && head.toString('latin1', 0x8001, 0x8006) === 'CD001') return;
  const what = head.subarray(0, 4).toString('latin1') === 'QFI\xfb' ? 'a qcow2 disk image' : 'not an ISO 9660 image';
  throw new UsageError(input, `is ${what} (no CD001 volume descriptor at sector 16)`, fixes.iso);
}

function checkKernel(head: Buffer, input: string): void {
  // x86 boot protocol: "HdrS" at 0x202 in every bzImage.
  if (head.length >= 0x206 && head.toString('latin1', 0x202, 0x206) === 'HdrS') return;
  throw new UsageError(input, 'is not an x86 Linux kernel image (no "HdrS" boot header)', fixes.kernel);
}
