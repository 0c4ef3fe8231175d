// Pure: VmSpec → QEMU argv. No I/O, so every branch is unit-tested.
import { inheritedDescriptors, inheritedNicDescriptors, type BootSource, type Nic, type VmSpec } from './vm-spec.ts';

/** QEMU option values use `,` as separator; a literal comma is written `,,`. */
export function escapeOptionValue(value: string): string {
  return value.replaceAll(',', ',,');
}

/** QEMU's id of the netdev behind the guest's NIC number `index` (what QMP `set_link` names). */
export function netdevId(index: number): string {
  return `net${index}`;
}

/** QEMU's id of the filter-dump object of `VmSpec.networkCapture` (what QMP `object-del` names). */
export const networkCaptureId = 'network-capture';

/**
 * Ethernet, IPv4 and UDP headers: the capture only has to tell when the guest got an address, not keep
 * what it sent (an iPXE chain's downloads pass through it too).
 */
const networkCaptureSnapBytes = 64;

export function buildQemuArgv(spec: VmSpec): string[] {
  const argv: string[] = ['-name', escapeOptionValue(spec.name)];
  argv.push('-machine', spec.firmware.kind === 'uefi' ? 'q35' : 'pc', '-accel', spec.accel);
  if (spec.firmware.kind === 'uefi') {
    argv.push('-drive', `if=pflash,format=raw,readonly=on,file=${escapeOptionValue(spec.firmware.codePath)}`);
    argv.push('-drive', `if=pflash,format=raw,file=${escapeOptionValue(spec.firmware.varsPath)}`);
  }
  argv.push('-m', String(spec.memoryMiB), '-smp', String(spec.cpus));
  argv.push(...consoleArgs(spec));
  argv.push('-qmp', `unix:${escapeOptionValue(spec.qmpSocketPath)},server=on,wait=off`);
  argv.push('-no-reboot');
  if (spec.startPaused) argv.push('-S');
  argv.push(...bootArgs(spec.boot));
  spec.disks.forEach((disk, index) => {
    argv.push('-drive', `file=${escapeOptionValue(disk.overlayPath)},if=virtio,format=qcow2,index=${index}`);
  });
  const state = inheritedDescriptors(spec).find((descriptor) => descriptor.access === 'read');
  if (state) argv.push('-incoming', `fd:${state.fd}`);
  argv.push(...networkArgs(spec.nics));
  if (spec.networkCapture) {
    const { nicIndex, path } = spec.networkCapture;
    argv.push('-object', `filter-dump,id=${networkCaptureId},netdev=${netdevId(nicIndex)},file=${escapeOptionValue(path)},maxlen=${networkCaptureSnapBytes}`);
  }
  // Entropy early in boot: without it sshd key generation can stall for minutes under TCG.
  argv.push('-device', 'virtio-rng-pci');
  for (const file of spec.smbiosStringFiles) argv.push('-smbios', `type=11,path=${escapeOptionValue(file)}`);
  for (const entry of spec.fwCfgFiles) argv.push('-fw_cfg', `name=${escapeOptionValue(entry.name)},file=${escapeOptionValue(entry.file)}`);
  argv.push(...spec.extraArgs);
  return argv;
}

function consoleArgs(spec: VmSpec): string[] {
  const chardev = `stdio,id=console0,signal=off,logfile=${escapeOptionValue(spec.consoleLogPath)}`;
  if (spec.firmwareOnSerial) {
    // -nographic puts serial and monitor on stdio through a mux; we replace both with our own chardev.
    return ['-nographic', '-chardev', chardev, '-serial', 'chardev:console0', '-monitor', 'none', '-parallel', 'none'];
  }
  return ['-display', 'none', '-chardev', chardev, '-serial', 'chardev:console0', '-monitor', 'none', '-parallel', 'none'];
}

function bootArgs(boot: BootSource): string[] {
  switch (boot.kind) {
    case 'iso':
      return ['-drive', `file=${escapeOptionValue(boot.iso)},media=cdrom,readonly=on,if=ide,index=2`, '-boot', 'order=d'];
    case 'kernel': {
      const args = ['-kernel', boot.kernel];
      if (boot.initrd) args.push('-initrd', boot.initrd);
      args.push('-append', boot.append);
      return args;
    }
    case 'network':
      return ['-boot', 'order=n'];
  }
}

function networkArgs(nics: readonly Nic[]): string[] {
  if (nics.length === 0) return ['-nic', 'none'];
  const descriptors = inheritedNicDescriptors(nics);
  let fdIndex = 0;
  return nics.flatMap((nic, index) => {
    const id = netdevId(index);
    let netdev: string[];
    let optionRom = false;
    switch (nic.mode) {
      case 'user':
        netdev = ['user', `id=${id}`];
        for (const forward of nic.hostForwards) {
          netdev.push(`hostfwd=tcp:${forward.hostAddress}:${forward.hostPort}-:${forward.guestPort}`);
        }
        if (nic.tftpRoot) netdev.push(`tftp=${escapeOptionValue(nic.tftpRoot)}`);
        if (nic.bootFile) netdev.push(`bootfile=${escapeOptionValue(nic.bootFile)}`);
        optionRom = nic.optionRom;
        break;
      case 'tap':
        netdev = ['tap', `id=${id}`, `ifname=${escapeOptionValue(nic.ifname)}`, 'script=no', 'downscript=no'];
        break;
      case 'fd':
        netdev = ['tap', `id=${id}`, `fd=${descriptors[fdIndex++]!.fd}`];
        break;
    }
    const device = [nic.model, `netdev=${id}`];
    if (!optionRom) device.push('romfile=');
    if (nic.macAddress) device.push(`mac=${nic.macAddress}`);
    return ['-netdev', netdev.join(','), '-device', device.join(',')];
  });
}
