// Bad input at the boundary: each row is rejected with a UsageError naming the input and the fix.
import { mkdtemp, writeFile, mkdir, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
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
    ['an unknown NIC mode', () => ({ iso, nics: [{ mode: 'tun' } as never] }), /nics\[0\]\.mode: unknown NIC mode `tun`/],
    ['a bridge name longer than 15 bytes', () => ({ iso, nics: [{ mode: 'bridge', bridge: 'a-very-long-bridge-name' }] }), /nics\[0\]\.bridge: `a-very-long-bridge-name` is not an interface name/],
    ['a macvtap without a link', () => ({ iso, nics: [{ mode: 'macvtap' } as never] }), /nics\[0\]\.link: `undefined` is not an interface name/],
    ['a malformed MAC', () => ({ iso, nics: [{ mode: 'bridge', bridge: 'br0', mac: '52:54:00:12:34' }] }), /nics\[0\]\.mac: `52:54:00:12:34` is not a MAC address/],
    ['a multicast MAC', () => ({ iso, nics: [{ mode: 'bridge', bridge: 'br0', mac: '01:00:5e:00:00:01' }] }), /multicast/],
    ['two NICs with one MAC', () => ({ iso, nics: [{ mode: 'user', mac: '52:54:00:00:00:01' }, { mode: 'bridge', bridge: 'br0', mac: '52:54:00:00:00:01' }] }), /nics\[1\]\.mac: MAC 52:54:00:00:00:01 is also nics\[0\]'s/],
    ['two user-mode NICs', () => ({ iso, nics: [{ mode: 'user' }, { mode: 'user' }] }), /more than one user-mode NIC/],
    ['network: false with NICs', () => ({ iso, network: false, nics: [{ mode: 'user' }] }), /contradict/],
    ['a bad namespace name', () => ({ iso, nics: [{ mode: 'bridge', bridge: 'br0', netns: '../etc' }] }), /nics\[0\]\.netns: `\.\.\/etc` is not a network namespace name/],
    ['an unknown L2 fallback', () => ({ iso, l2Fallback: 'tap' as never }), /l2Fallback tap: unknown fallback/],
    ['snapshot restore with an L2 NIC', () => ({ iso, nics: [{ mode: 'bridge', bridge: 'br0' }], restoreFrom: { dir, snapshotName: 's', prompt: '$ ', privateKeyPath: kernel } }), /user-mode networking only/],
  ];

  it.each(rows)('%s', async (_title, options, message) => {
    const error = await resolveBootOptions({ env, ...options() }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toMatch(message);
    expect((error as UsageError).fix.length).toBeGreaterThan(10);
  });

  it('an unreadable file says so (as root too: checked in a child without CAP_DAC_OVERRIDE)', async () => {
    const locked = join(dir, 'locked.iso');
    await writeFile(locked, 'x');
    await chmod(locked, 0);
    if (process.getuid?.() !== 0) {
      await expect(checkImageFile(locked, 'iso', '--iso')).rejects.toThrow(/cannot be read/);
      return;
    }
    // Root reads anything through CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH; without them a mode-0 file is unreadable to it too.
    const check = `import { checkImageFile } from ${JSON.stringify(join(import.meta.dirname, '../../../harness/boot/image-file-check.ts'))};
      checkImageFile(${JSON.stringify(locked)}, 'iso', '--iso').then(() => console.log('read it'), (error) => console.log(error.message));`;
    const dropped = '-dac_override,-dac_read_search';
    const { stdout } = await execa('setpriv', ['--bounding-set', dropped, '--inh-caps', dropped, '--', process.execPath, '--import', 'tsx', '--input-type=module', '-e', check]);
    expect(stdout).toMatch(/cannot be read/);
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

describe('resolveBootOptions NICs', () => {
  it('defaults to one user-mode NIC with QEMU\'s MAC, and none when network is off', async () => {
    expect((await resolveBootOptions({ env, iso })).nics).toEqual([{ mode: 'user', mac: undefined }]);
    const off = await resolveBootOptions({ env, iso, network: false });
    expect(off.nics).toEqual([]);
    expect(off.network).toBe(false);
  });

  it('derives L2 MACs from the VM name and NIC position: stable across runs, different per VM and NIC', async () => {
    const nics: BootOptions['nics'] = [{ mode: 'user' }, { mode: 'bridge', bridge: 'br0', netns: 'lab' }, { mode: 'macvtap', link: 'eth0' }];
    const first = await resolveBootOptions({ env, iso, name: 'vm-a', nics });
    const again = await resolveBootOptions({ env, iso, name: 'vm-a', nics });
    const other = await resolveBootOptions({ env, iso, name: 'vm-b', nics });
    expect(first.nics.map((nic) => nic.mac)).toEqual(again.nics.map((nic) => nic.mac));
    expect(first.nics[0]!.mac).toBeUndefined();
    expect(first.nics[1]!.mac).not.toEqual(first.nics[2]!.mac);
    expect(first.nics[1]!.mac).not.toEqual(other.nics[1]!.mac);
    expect(first.nics[1]).toMatchObject({ mode: 'bridge', bridge: 'br0', netns: 'lab', createBridge: false, model: 'virtio-net-pci' });
    expect(first.network).toBe(true);
  });

  it('an explicit MAC wins and is normalised', async () => {
    const plan = await resolveBootOptions({ env, iso, nics: [{ mode: 'bridge', bridge: 'br0', mac: '52-54-00-AB-CD-EF' }] });
    expect(plan.nics[0]!.mac).toBe('52:54:00:ab:cd:ef');
    expect(plan.network).toBe(false);
  });
});
