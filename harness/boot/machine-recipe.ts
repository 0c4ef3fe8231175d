// The machine recipe, pure: a plan and the run's key → the files the machine needs in the run dir, the
// iPXE chain to serve, and (with the accelerator, vCPUs and NICs) the VmSpec. run-dir-artefacts.ts makes the files.
import { join } from 'node:path';
import type { BootSource, DiskSpec, Nic, UserNic, VmSpec } from '../qemu/vm-spec.ts';
import type { BootPlan } from './boot-options.ts';
import type { IpxeChainMode } from './ipxe-chain.ts';

/** A file the machine needs in the run dir, made before QEMU starts. */
export type RunDirArtefact =
  /** Text only the harness and QEMU read (a key): written with mode 0600. */
  | { kind: 'secret'; path: string; text: string }
  /** `io.systemd.credential.binary:NAME=<base64 of sourcePath>`, mode 0600: an SMBIOS type 11 string QEMU reads from the file. */
  | { kind: 'smbios-credential'; path: string; name: string; sourcePath: string }
  /** A copy of a file; `clone` asks for a copy-on-write clone where the filesystem can. */
  | { kind: 'copy'; path: string; from: string; clone: boolean }
  /** A qcow2 overlay over the user's image (never written to), or a blank qcow2 of `sizeMiB`. */
  | { kind: 'overlay'; path: string; backing: { path: string } | { sizeMiB: number } };

/** What the harness serves for a local iPXE chain (ipxe-chain.ts places it in `<runDir>/ipxe`). */
export interface ChainRecipe {
  kernel: string;
  initrd: string | undefined;
  append: string;
  mode: IpxeChainMode;
}

export interface MachineRecipe {
  boot: BootSource;
  /** In the order they are made. */
  artefacts: RunDirArtefact[];
  chain: ChainRecipe | undefined;
  smbiosStringFiles: string[];
  fwCfgFiles: VmSpec['fwCfgFiles'];
  firmware: VmSpec['firmware'];
  disks: DiskSpec[];
  incomingStatePath: string | undefined;
  /** The qemu-img next to the QEMU binary, which makes the overlays. */
  qemuImg: string;
}

/** The guest's saved RAM and device state in a snapshot folder (a migration stream, read in place by each restore). */
export const vmStateFile = 'vmstate.mig';
/** Debian's ovmf package. */
export const ovmfDir = '/usr/share/OVMF';
/** systemd's credential name that systemd ≥ 252 installs as root's authorized_keys by itself. */
export const sshKeyCredential = 'ssh.authorized_keys.root';

/** The overlay a guest writes for its disk number `index` (a snapshot saves and restores the same names). */
export function diskOverlayName(index: number): string {
  return `disk${index}.qcow2`;
}

export function machineRecipe(plan: BootPlan, run: { runDir: string; publicKey: string }): MachineRecipe {
  const { runDir } = run;
  const restore = plan.restoreFrom;
  const keyLine = `${run.publicKey}\n`;
  const keyArgument = `pre_nixos.root_key=${Buffer.from(keyLine).toString('base64')}`;
  const withKey = (append: string) => (plan.keyInjection === 'cmdline' ? `${append} ${keyArgument}` : append);
  const artefacts: RunDirArtefact[] = [];

  let boot: BootSource;
  let chain: ChainRecipe | undefined;
  if (plan.source.kind === 'kernel') {
    boot = { kind: 'kernel', kernel: plan.source.kernel, initrd: plan.source.initrd, append: withKey(plan.source.append) };
  } else if (plan.source.kind === 'ipxe') {
    boot = { kind: 'network' };
    if (plan.source.mode !== 'remote') chain = { kernel: plan.source.kernel, initrd: plan.source.initrd, append: withKey(plan.source.append), mode: plan.source.mode };
  } else {
    boot = { kind: 'iso', iso: plan.source.iso };
  }

  const credentials = [...plan.credentials];
  if (plan.keyInjection === 'smbios') {
    const path = join(runDir, 'ssh-key.pub');
    artefacts.push({ kind: 'secret', path, text: keyLine });
    credentials.unshift({ name: sshKeyCredential, file: path });
  }
  // Each credential goes through a 0600 file in the run dir, so the secret never shows in `ps`.
  const smbiosStringFiles = credentials.map((credential, index) => {
    const path = join(runDir, `smbios-credential-${index}`);
    artefacts.push({ kind: 'smbios-credential', path, name: credential.name, sourcePath: credential.file });
    return path;
  });
  const fwCfgFiles: VmSpec['fwCfgFiles'] = [];
  if (plan.keyInjection === 'fw_cfg') {
    const path = join(runDir, 'fw-cfg-root-key');
    artefacts.push({ kind: 'secret', path, text: keyLine });
    fwCfgFiles.push({ name: 'opt/pre-nixos/root_key', file: path });
  }

  let firmware: VmSpec['firmware'] = { kind: 'bios' };
  if (plan.firmware === 'uefi') {
    // UEFI writes its variable store: each run gets its own copy, the system's template stays untouched.
    const varsPath = join(runDir, 'OVMF_VARS.fd');
    artefacts.push({ kind: 'copy', path: varsPath, from: join(ovmfDir, 'OVMF_VARS_4M.fd'), clone: false });
    firmware = { kind: 'uefi', codePath: join(ovmfDir, 'OVMF_CODE_4M.fd'), varsPath };
  }

  // A snapshot's drives hold the guest's writes up to the save: each restore writes to its own copy.
  const disks = plan.disks.map((disk, index): DiskSpec => {
    const overlayPath = join(runDir, diskOverlayName(index));
    if (restore) artefacts.push({ kind: 'copy', path: overlayPath, from: join(restore.dir, diskOverlayName(index)), clone: true });
    else artefacts.push({ kind: 'overlay', path: overlayPath, backing: disk.kind === 'file' ? { path: disk.path } : { sizeMiB: disk.sizeMiB } });
    return { overlayPath };
  });
  // The saved state is only read: every restore reads the snapshot's own file, no copy.
  const incomingStatePath = restore ? join(restore.dir, vmStateFile) : undefined;

  return { boot, artefacts, chain, smbiosStringFiles, fwCfgFiles, firmware, disks, incomingStatePath, qemuImg: join(plan.qemuBinary, '..', 'qemu-img') };
}

/** The user-mode NIC (with MAC `mac`) of this machine: port 22 forwarded, and the boot file of a network boot. */
export function userNicFor(plan: BootPlan, recipe: Pick<MachineRecipe, 'boot'>, chain: { bootFile: string; tftpRoot: string | undefined } | undefined, mac: string | undefined): UserNic {
  return {
    mode: 'user',
    model: 'virtio-net-pci',
    // The NIC's default ROM is iPXE; an explicit pxe-virtio.rom fails silently on this (transitional) device.
    optionRom: recipe.boot.kind === 'network',
    hostForwards: [{ hostAddress: '127.0.0.1', hostPort: plan.sshPort, guestPort: 22 }],
    bootFile: chain?.bootFile ?? (plan.source.kind === 'ipxe' && plan.source.mode === 'remote' ? plan.source.url : undefined),
    tftpRoot: chain?.tftpRoot,
    macAddress: mac,
  };
}

/** The complete VmSpec: the recipe's files, and what was decided or made besides (accelerator, vCPUs, NICs). */
export function vmSpec(
  plan: BootPlan,
  recipe: MachineRecipe,
  machine: { runDir: string; accel: VmSpec['accel']; cpus: number; nics: Nic[]; consoleLogPath: string; networkCapturePath?: string | undefined },
): VmSpec {
  const forwardedNic = machine.nics.findIndex((nic) => nic.mode === 'user' && nic.hostForwards.some((forward) => forward.guestPort === 22));
  return {
    name: plan.name,
    qemuBinary: plan.qemuBinary,
    accel: machine.accel,
    memoryMiB: plan.memoryMiB,
    cpus: machine.cpus,
    boot: recipe.boot,
    disks: recipe.disks,
    nics: machine.nics,
    smbiosStringFiles: recipe.smbiosStringFiles,
    fwCfgFiles: recipe.fwCfgFiles,
    firmware: recipe.firmware,
    incomingStatePath: recipe.incomingStatePath,
    consoleLogPath: machine.consoleLogPath,
    qmpSocketPath: join(machine.runDir, 'qmp.sock'),
    // iPXE's own messages (milestones, errors) reach serial only through SeaBIOS's screen mirroring.
    firmwareOnSerial: recipe.boot.kind === 'network',
    startPaused: true,
    networkCapture: machine.networkCapturePath && forwardedNic !== -1 ? { nicIndex: forwardedNic, path: machine.networkCapturePath } : undefined,
    extraArgs: plan.extraQemuArgs,
  };
}
