// Bad input at the boundary: each row is rejected with a UsageError naming the input and the fix.
import { mkdtemp, writeFile, mkdir, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveBootOptions, type BootOptions } from '../../../harness/boot/boot-options.ts';
import { checkImageFile } from '../../../harness/boot/image-file-check.ts';
import { UsageError } from '../../../harness/errors.ts';

let dir: string;
let iso: string;
let kernel: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'boot-options-test-'));
  iso = join(dir, 'ok.iso');
  const isoBytes = Buffer.alloc(0x8800);
  isoBytes.write('CD001', 0x8001, 'latin1');
  await writeFile(iso, isoBytes);
  kernel = join(dir, 'vmlinuz');
  const kernelBytes = Buffer.alloc(0x400);
  kernelBytes.write('HdrS', 0x202, 'latin1');
  await writeFile(kernel, kernelBytes);
  await writeFile(join(dir, 'empty.iso'), '');
  await writeFile(join(dir, 'notes.txt'), 'hello, I am text\n'.repeat(4000));
  const qcow = Buffer.alloc(0x9000);
  qcow.write('QFI\xfb', 0, 'latin1');
  await writeFile(join(dir, 'disk.qcow2'), qcow);
  await mkdir(join(dir, 'folder.iso'));
});

const env = { HARNESS_CACHE_DIR: '/nonexistent-cache', PATH: process.env.PATH };

describe('resolveBootOptions rejects bad input', () => {
  const rows: [string, () => BootOptions, RegExp][] = [
    ['missing ISO', () => ({ iso: join(dir, 'nope.iso') }), /--iso .*nope\.iso: no such file/],
    ['a directory', () => ({ iso: join(dir, 'folder.iso') }), /is a directory/],
    ['an empty file', () => ({ iso: join(dir, 'empty.iso') }), /is empty/],
    ['a text file as ISO', () => ({ iso: join(dir, 'notes.txt') }), /not an ISO 9660 image/],
    ['a qcow2 as ISO', () => ({ iso: join(dir, 'disk.qcow2') }), /is a qcow2 disk image/],
    ['an ISO as kernel', () => ({ kernel: iso }), /not an x86 Linux kernel/],
    ['an initrd without a kernel', () => ({ initrd: kernel }), /initrd was given without a kernel/],
    ['ISO and kernel together', () => ({ iso, kernel }), /two boot sources/],
    ['negative memory', () => ({ iso, memoryMiB: -1 }), /memoryMiB: expected an integer from 64 to 65536, got `-1` \(number\)/],
    ['fractional CPUs', () => ({ iso, cpus: 1.5 }), /cpus: expected an integer/],
    ['unknown accelerator from the environment', () => ({ iso, env: { ...env, HARNESS_ACCEL: 'xen' } }), /HARNESS_ACCEL/],
    ['cmdline key injection on an ISO', () => ({ iso, keyInjection: 'cmdline' }), /not under the harness's control/],
    ['--append with an ISO', () => ({ iso, append: 'quiet' }), /only applies to kernel boots/],
  ];

  it.each(rows)('%s', async (_title, options, message) => {
    const error = await resolveBootOptions({ env, ...options() }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toMatch(message);
    expect((error as UsageError).fix.length).toBeGreaterThan(10);
  });

  it('an unreadable file says so (skipped as root, who can read anything)', async () => {
    if (process.getuid?.() === 0) return;
    const locked = join(dir, 'locked.iso');
    await writeFile(locked, 'x');
    await chmod(locked, 0);
    await expect(checkImageFile(locked, 'iso', '--iso')).rejects.toThrow(/cannot be read/);
  });
});

describe('resolveBootOptions defaults', () => {
  it('injects the key by SMBIOS for an ISO and on the command line for a kernel, adding console=ttyS0', async () => {
    const isoPlan = await resolveBootOptions({ env, iso });
    expect(isoPlan.keyInjection).toBe('smbios');
    const kernelPlan = await resolveBootOptions({ env, kernel, append: 'quiet' });
    expect(kernelPlan.keyInjection).toBe('cmdline');
    expect(kernelPlan.source).toMatchObject({ kind: 'kernel', append: 'console=ttyS0,115200n8 quiet' });
  });

  it('injects nothing when the image already trusts a user key', async () => {
    const plan = await resolveBootOptions({ env, iso, sshKeyPath: '/keys/id' });
    expect(plan.keyInjection).toBe('none');
  });

  it('asks for the default image to be built when it is missing', async () => {
    await expect(resolveBootOptions({ env })).rejects.toThrow(/build-fixture/);
  });
});
