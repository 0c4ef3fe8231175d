// Builds small test ISOs (isolinux or GRUB, the default image's kernel and initrd) into a temp dir:
// images whose bootloader or kernel line differ from the default image's (serial off, no console=ttyS0),
// or that are not bootable at all. Never into the cache.
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { locateDefaultImage } from '../../../harness/boot/default-image.ts';

const syslinuxModules = '/usr/lib/syslinux/modules/bios';

export interface TestIsoSpec {
  /** isolinux.cfg; kernel and initrd are at /boot/vmlinuz and /boot/initrd.img. */
  config?: string;
  /** COM32 modules to add (menu.c32 needs libutil.c32 and libcom32.c32). */
  modules?: string[];
  /** false: a plain data ISO the firmware cannot boot. */
  bootable?: boolean;
}

export interface TestIsos extends AsyncDisposable {
  build(name: string, spec: TestIsoSpec): Promise<string>;
  /** A BIOS GRUB ISO (grub-mkrescue) with this grub.cfg; kernel and initrd at /boot/vmlinuz and /boot/initrd.img. */
  buildGrub(name: string, grubConfig: string): Promise<string>;
}

export async function testIsos(): Promise<TestIsos> {
  // Looked up first: a missing image must not leave an empty temp dir behind.
  const image = await locateDefaultImage();
  const dir = await mkdtemp(join(tmpdir(), 'harness-test-iso-'));
  return {
    async build(name, spec) {
      const root = join(dir, `${name}-root`);
      await mkdir(join(root, 'isolinux'), { recursive: true });
      await mkdir(join(root, 'boot'));
      await copyFile(image.kernel, join(root, 'boot', 'vmlinuz'));
      await copyFile(image.initrd, join(root, 'boot', 'initrd.img'));
      const iso = join(dir, `${name}.iso`);
      if (spec.bootable === false) {
        await execa('xorriso', ['-as', 'mkisofs', '-quiet', '-o', iso, '-J', '-r', root]);
        return iso;
      }
      await copyFile('/usr/lib/ISOLINUX/isolinux.bin', join(root, 'isolinux', 'isolinux.bin'));
      for (const module of ['ldlinux.c32', ...(spec.modules ?? [])]) await copyFile(join(syslinuxModules, module), join(root, 'isolinux', module));
      await writeFile(join(root, 'isolinux', 'isolinux.cfg'), spec.config ?? '');
      await execa('xorriso', [
        '-as', 'mkisofs', '-quiet', '-o', iso, '-J', '-r',
        '-c', 'isolinux/boot.cat', '-b', 'isolinux/isolinux.bin', '-no-emul-boot', '-boot-load-size', '4', '-boot-info-table',
        root,
      ]);
      await rm(root, { recursive: true });
      return iso;
    },
    async buildGrub(name, grubConfig) {
      const root = join(dir, `${name}-root`);
      await mkdir(join(root, 'boot', 'grub'), { recursive: true });
      await copyFile(image.kernel, join(root, 'boot', 'vmlinuz'));
      await copyFile(image.initrd, join(root, 'boot', 'initrd.img'));
      await writeFile(join(root, 'boot', 'grub', 'grub.cfg'), grubConfig);
      const iso = join(dir, `${name}.iso`);
      await execa('grub-mkrescue', ['-o', iso, '--locales=', '--themes=', root]);
      await rm(root, { recursive: true });
      return iso;
    },
    async [Symbol.asyncDispose]() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}
