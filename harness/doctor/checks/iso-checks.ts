// `--iso FILE`: audits a boot image without booting it (readable, El Torito, bootloader config, serial console).
import { defaultGrubEntry, defaultIsolinuxEntry, hasSerialConsole, type BootEntry } from '../boot-config.ts';
import { finding, type DoctorCheck, type DoctorContext } from '../doctor-check.ts';
import { findEntry, readEntryText, readVolumeDescriptors, type ReadAt, type VolumeDescriptors } from '../iso9660-reader.ts';

export const isolinuxConfigPaths = [
  'isolinux/isolinux.cfg',
  'boot/isolinux/isolinux.cfg',
  'isolinux.cfg',
  'syslinux/syslinux.cfg',
  'boot/syslinux/syslinux.cfg',
  'syslinux.cfg',
];
export const grubConfigPaths = ['boot/grub/grub.cfg', 'boot/grub2/grub.cfg', 'EFI/BOOT/grub.cfg', 'grub/grub.cfg'];

export interface IsoInspection {
  path: string;
  /** Why the file cannot be read; undefined when it can. */
  unreadable: string | undefined;
  sizeBytes: number;
  descriptors: VolumeDescriptors | undefined;
  configs: { loader: 'isolinux' | 'grub'; path: string }[];
  /** The entry a BIOS CD boot runs by default: isolinux's when present (it owns the El Torito BIOS entry), else GRUB's. */
  entry: (BootEntry & { configPath: string }) | undefined;
}

export async function inspectIso(context: DoctorContext, path: string): Promise<IsoInspection> {
  const { env } = context;
  const inspection: IsoInspection = { path, unreadable: undefined, sizeBytes: 0, descriptors: undefined, configs: [], entry: undefined };
  const facts = await env.stat(path);
  if (!facts) return { ...inspection, unreadable: 'no such file' };
  if (facts.kind !== 'file') return { ...inspection, unreadable: `not a regular file (${facts.kind})` };
  if (!(await env.access(path, 'r'))) return { ...inspection, unreadable: 'not readable by this user' };
  inspection.sizeBytes = facts.sizeBytes;
  const readAt: ReadAt = (position, length) => env.readBytes(path, position, length);
  inspection.descriptors = await readVolumeDescriptors(readAt);
  const root = inspection.descriptors?.root;
  if (!root) return inspection;
  const candidates = [
    ...isolinuxConfigPaths.map((configPath) => ({ loader: 'isolinux' as const, path: configPath })),
    ...grubConfigPaths.map((configPath) => ({ loader: 'grub' as const, path: configPath })),
  ];
  for (const candidate of candidates) {
    const entry = await findEntry(readAt, root, candidate.path);
    if (!entry || entry.isDirectory) continue;
    inspection.configs.push(candidate);
    if (inspection.entry) continue;
    const text = await readEntryText(readAt, entry);
    const parsed = text === undefined ? undefined : candidate.loader === 'isolinux' ? defaultIsolinuxEntry(text) : defaultGrubEntry(text);
    if (parsed) inspection.entry = { ...parsed, configPath: candidate.path };
  }
  return inspection;
}

function isoOf(context: DoctorContext): Promise<IsoInspection> | undefined {
  const path = context.options.isoPath;
  return path === undefined ? undefined : context.memo(`iso:${path}`, () => inspectIso(context, path));
}

function describeDescriptors(descriptors: VolumeDescriptors): string {
  const names: Record<number, string> = { 0: 'boot record', 1: 'primary', 2: 'supplementary', 255: 'terminator' };
  return descriptors.types.map((type) => names[type] ?? `type ${type}`).join(', ');
}

export const isoReadableCheck: DoctorCheck = {
  id: 'iso.readable',
  title: 'ISO file readable',
  timeoutMs: 3_000,
  async run(context) {
    const iso = await isoOf(context)!;
    const command = `test -r ${iso.path}`;
    const why = 'QEMU opens the image read-only as a CD; the harness never writes it.';
    if (iso.unreadable) return finding('fail', `${iso.path}: ${iso.unreadable}`, command, why, 'Pass the path of an existing, readable .iso file.');
    return finding('pass', `${iso.path}: ${(iso.sizeBytes / (1024 * 1024)).toFixed(1)} MiB`, command, why);
  },
};

export const isoElToritoCheck: DoctorCheck = {
  id: 'iso.el-torito',
  title: 'ISO 9660 with an El Torito boot record',
  timeoutMs: 5_000,
  async run(context) {
    const iso = await isoOf(context)!;
    const command = `read sectors 16+ of ${iso.path} (CD001 volume descriptors, "EL TORITO SPECIFICATION")`;
    const why = 'The harness boots ISOs as a CD (-cdrom, -boot d): firmware needs an El Torito boot record.';
    const fix = 'Build the image as a bootable ISO (e.g. xorriso -as mkisofs -b isolinux/isolinux.bin -no-emul-boot …).';
    if (iso.unreadable) return finding('skip', 'ISO not readable (see iso.readable)', command, why);
    if (!iso.descriptors) return finding('fail', 'no ISO 9660 volume descriptor at sector 16: not an ISO image', command, why, fix);
    const seen = `volume ${JSON.stringify(iso.descriptors.volumeId ?? '')}; descriptors: ${describeDescriptors(iso.descriptors)}`;
    if (!iso.descriptors.elTorito) return finding('fail', `${seen}; no El Torito boot record`, command, why, fix);
    return finding('pass', seen, command, why);
  },
};

export const isoBootloaderCheck: DoctorCheck = {
  id: 'iso.bootloader',
  title: 'Bootloader config (isolinux/GRUB) found',
  timeoutMs: 5_000,
  async run(context) {
    const iso = await isoOf(context)!;
    const command = `look for ${[...isolinuxConfigPaths, ...grubConfigPaths].join(', ')} in ${iso.path}`;
    const why = "Its default entry's kernel command line decides whether the kernel talks on the serial console.";
    if (!iso.descriptors?.root) return finding('skip', 'not a readable ISO 9660 image (see iso.el-torito)', command, why);
    if (!iso.configs.length) {
      return finding('fail', 'no isolinux.cfg, syslinux.cfg or grub.cfg at the usual paths', command, why,
        'Use an isolinux or GRUB ISO; the harness cannot audit other bootloaders.');
    }
    const found = iso.configs.map((config) => `${config.loader} /${config.path}`).join(', ');
    if (!iso.entry) return finding('fail', `${found}; no boot entry in it`, command, why, 'Add a default LABEL (isolinux) or menuentry (GRUB) with a kernel.');
    return finding('pass', `${found}; default entry "${iso.entry.label}" (${iso.entry.loader}) boots ${iso.entry.kernel ?? 'an unknown kernel'}`, command, why);
  },
};

export const isoSerialConsoleCheck: DoctorCheck = {
  id: 'iso.serial-console',
  title: 'Default entry has console=ttyS0',
  timeoutMs: 5_000,
  async run(context) {
    const iso = await isoOf(context)!;
    const command = iso.entry ? `read /${iso.entry.configPath} in ${iso.path}` : `read the bootloader config in ${iso.path}`;
    const why = 'Without console=ttyS0 the kernel and login prompt never reach the serial port the harness reads.';
    if (!iso.entry) return finding('skip', 'no default boot entry found (see iso.bootloader)', command, why);
    const seen = `"${iso.entry.label}": ${iso.entry.append || '(empty command line)'}`;
    if (!hasSerialConsole(iso.entry.append)) {
      return finding('fail', seen, command, why, 'Add console=ttyS0,115200n8 to the default entry (NixOS: boot.kernelParams).');
    }
    return finding('pass', seen, command, why);
  },
};

export const isoChecks = [isoReadableCheck, isoElToritoCheck, isoBootloaderCheck, isoSerialConsoleCheck];
