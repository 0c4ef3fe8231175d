import { describe, expect, it } from 'vitest';
import { defaultGrubEntry, defaultIsolinuxEntry, hasSerialConsole } from '../../../harness/doctor/boot-config.ts';
import { isoBootloaderCheck, isoElToritoCheck, isoReadableCheck, isoSerialConsoleCheck } from '../../../harness/doctor/checks/iso-checks.ts';
import { findEntry, readEntryText, readVolumeDescriptors, type ReadAt } from '../../../harness/doctor/iso9660-reader.ts';
import { fakeContext, fakeEnvironment } from './fake-doctor-environment.ts';
import { buildIso, type IsoSpec } from './iso-image-builder.ts';

const nixosIsolinux = `SERIAL 0 115200
TIMEOUT 100
UI vesamenu.c32
DEFAULT boot

LABEL boot
MENU LABEL NixOS 24.05 Installer
LINUX /boot/bzImage
APPEND init=/nix/store/x-nixos-system/init root=LABEL=nixos-24.05 boot.shell_on_fail console=ttyS0,115200n8 console=tty0 loglevel=4
INITRD /boot/initrd

LABEL boot-nomodeset
MENU LABEL NixOS 24.05 Installer (nomodeset)
LINUX /boot/bzImage
APPEND init=/nix/store/x-nixos-system/init nomodeset
INITRD /boot/initrd
`;

const grubConfig = `set default="1"
set timeout=0
serial --unit=0 --speed=115200
menuentry 'Debian GNU/Linux' --class debian --id debian {
  linux /boot/vmlinuz root=/dev/sda1 quiet
  initrd /boot/initrd.img
}
menuentry "Debian (serial)" --id serial {
  linux /boot/vmlinuz root=/dev/sda1 console=ttyS0,115200n8
}
`;

function readerOf(image: Buffer): ReadAt {
  return async (position, length) => image.subarray(position, position + length);
}

describe('boot config parsing', () => {
  it.each([
    ['console=ttyS0', true],
    ['quiet console=ttyS0,115200n8 console=tty0', true],
    ['console=tty0', false],
    ['console=ttyS01', false],
    ['xconsole=ttyS0', false],
    ['', false],
  ])('hasSerialConsole(%j) = %s', (append, expected) => {
    expect(hasSerialConsole(append)).toBe(expected);
  });

  it('takes the DEFAULT label of an isolinux config', () => {
    expect(defaultIsolinuxEntry(nixosIsolinux)).toMatchObject({ label: 'boot', kernel: '/boot/bzImage' });
    expect(defaultIsolinuxEntry(nixosIsolinux)?.append).toContain('console=ttyS0,115200n8');
  });

  it('prefers MENU DEFAULT, falls back to the first label and to a global APPEND', () => {
    const menuDefault = 'DEFAULT a\nLABEL a\nKERNEL /a\nAPPEND x\nLABEL b\nMENU DEFAULT\nKERNEL /b\nAPPEND y\n';
    expect(defaultIsolinuxEntry(menuDefault)?.label).toBe('b');
    expect(defaultIsolinuxEntry('APPEND console=ttyS0\nLABEL only\nKERNEL /k\n')).toMatchObject({ label: 'only', append: 'console=ttyS0' });
    expect(defaultIsolinuxEntry('# nothing\n')).toBeUndefined();
  });

  it('follows GRUB set default by index, id or title', () => {
    expect(defaultGrubEntry(grubConfig)).toMatchObject({ label: 'Debian (serial)', append: 'root=/dev/sda1 console=ttyS0,115200n8' });
    expect(defaultGrubEntry(grubConfig.replace('set default="1"', 'set default=debian'))?.label).toBe('Debian GNU/Linux');
    expect(defaultGrubEntry(grubConfig.replace('set default="1"', 'set default="${saved_entry}"'))?.label).toBe('Debian GNU/Linux');
  });
});

describe('ISO 9660 reader', () => {
  it.each([false, true])('finds files by path (Rock Ridge %s)', async (rockRidge) => {
    const image = buildIso({ rockRidge, files: { 'isolinux/isolinux.cfg': 'DEFAULT x\n', 'boot/vmlinuz': 'kernel' } });
    const descriptors = await readVolumeDescriptors(readerOf(image));
    expect(descriptors).toMatchObject({ types: [1, 0, 255], elTorito: true, volumeId: 'TEST' });
    const entry = await findEntry(readerOf(image), descriptors!.root!, 'isolinux/isolinux.cfg');
    expect(await readEntryText(readerOf(image), entry!)).toBe('DEFAULT x\n');
    expect(await findEntry(readerOf(image), descriptors!.root!, 'isolinux/missing.cfg')).toBeUndefined();
  });

  it('says undefined for a file that is not an ISO', async () => {
    expect(await readVolumeDescriptors(readerOf(Buffer.alloc(40 * 2048)))).toBeUndefined();
    expect(await readVolumeDescriptors(readerOf(Buffer.from('{}')))).toBeUndefined();
  });
});

async function runIsoChecks(image: Buffer | undefined) {
  const path = '/images/test.iso';
  const env = fakeEnvironment(image ? { bytes: { [path]: image }, stats: { [path]: { kind: 'file', sizeBytes: image.length } } } : {});
  const context = fakeContext(env, { options: { isoPath: path } });
  const checks = [isoReadableCheck, isoElToritoCheck, isoBootloaderCheck, isoSerialConsoleCheck];
  const results = await Promise.all(checks.map((check) => check.run(context)));
  return Object.fromEntries(checks.map((check, index) => [check.id, results[index]!]));
}

describe('--iso checks', () => {
  const statuses = async (spec: IsoSpec | undefined) =>
    Object.values(await runIsoChecks(spec ? buildIso(spec) : undefined)).map((result) => result.status);

  it.each<[string, IsoSpec | undefined, string[]]>([
    ['a NixOS-like isolinux ISO', { files: { 'isolinux/isolinux.cfg': nixosIsolinux } }, ['pass', 'pass', 'pass', 'pass']],
    ['a GRUB ISO with Rock Ridge names', { rockRidge: true, files: { 'boot/grub/grub.cfg': grubConfig } }, ['pass', 'pass', 'pass', 'pass']],
    ['an ISO without console=ttyS0', { files: { 'isolinux/isolinux.cfg': 'DEFAULT a\nLABEL a\nKERNEL /k\nAPPEND quiet\n' } }, ['pass', 'pass', 'pass', 'fail']],
    ['an ISO without El Torito', { elTorito: false, files: { 'isolinux/isolinux.cfg': nixosIsolinux } }, ['pass', 'fail', 'pass', 'pass']],
    ['an ISO without a bootloader config', { files: { 'readme.txt': 'hi' } }, ['pass', 'pass', 'fail', 'skip']],
    ['a missing file', undefined, ['fail', 'skip', 'skip', 'skip']],
  ])('%s', async (_name, spec, expected) => {
    expect(await statuses(spec)).toEqual(expected);
  });

  it('fails "not an ISO" for another kind of file', async () => {
    const results = await runIsoChecks(Buffer.alloc(64 * 1024));
    expect(results['iso.el-torito']).toMatchObject({ status: 'fail', seen: 'no ISO 9660 volume descriptor at sector 16: not an ISO image' });
    expect(results['iso.bootloader']?.status).toBe('skip');
  });

  it('shows the default entry and its command line', async () => {
    const results = await runIsoChecks(buildIso({ files: { 'isolinux/isolinux.cfg': 'DEFAULT a\nLABEL a\nKERNEL /k\nAPPEND quiet\n' } }));
    expect(results['iso.serial-console']).toMatchObject({ seen: '"a": quiet' });
    expect(results['iso.serial-console']?.fix).toContain('console=ttyS0,115200n8');
    expect(results['iso.bootloader']?.seen).toContain('isolinux /isolinux/isolinux.cfg');
  });
});
