// The typed description of one QEMU guest, after options were normalised at the boundary.
// Everything here is resolved: absolute paths, concrete accelerator, run-dir files already chosen.

export type BootSource =
  | { kind: 'iso'; iso: string }
  | { kind: 'kernel'; kernel: string; initrd: string | undefined; append: string }
  | { kind: 'network' };

export interface HostForward {
  /** Always 127.0.0.1: forwarded ports never listen on other interfaces. */
  hostAddress: '127.0.0.1';
  /** 0 lets the OS choose; the real port is read back over QMP. */
  hostPort: number;
  guestPort: number;
}

export interface UserNic {
  mode: 'user';
  model: 'virtio-net-pci' | 'e1000';
  hostForwards: HostForward[];
  /** Loads the NIC's iPXE option ROM; off when nothing boots from the network (faster firmware). */
  optionRom: boolean;
  macAddress?: string | undefined;
  /** slirp's DHCP `bootfile=` (a URL or a TFTP path) handed to iPXE. */
  bootFile?: string | undefined;
  /** Folder served by slirp's built-in TFTP server. */
  tftpRoot?: string | undefined;
}

/** A tap device QEMU creates by name (non-persistent: it dies with QEMU); the harness bridges it. */
export interface TapNic {
  mode: 'tap';
  model: 'virtio-net-pci' | 'e1000';
  ifname: string;
  macAddress: string;
}

/**
 * A tap-like character device (a macvtap's) opened by the launcher before QEMU runs and inherited as
 * a file descriptor: QEMU cannot open a macvtap by name. Descriptors are numbered from 3 in NIC order.
 */
export interface InheritedFdNic {
  mode: 'fd';
  model: 'virtio-net-pci' | 'e1000';
  devicePath: string;
  macAddress: string;
}

export type Nic = UserNic | TapNic | InheritedFdNic;

/** The descriptor each `fd` NIC is inherited as, in NIC order; shared by the argv and the launcher. */
export function inheritedNicDescriptors(nics: readonly Nic[]): { fd: number; devicePath: string }[] {
  return nics.filter((nic): nic is InheritedFdNic => nic.mode === 'fd').map((nic, index) => ({ fd: 3 + index, devicePath: nic.devicePath }));
}

/**
 * Every descriptor QEMU inherits from its launcher: the `fd` NICs' devices (read-write, in NIC order), then
 * the saved state a restore loads (read-only; QEMU reads a regular file's descriptor straight, without the
 * pipe and `cat` of an `exec:` URI: measured ~110 ms against ~200-240 ms for the default image's state).
 */
export function inheritedDescriptors(spec: Pick<VmSpec, 'nics' | 'incomingStatePath'>): { fd: number; path: string; access: 'read' | 'read-write' }[] {
  const nics = inheritedNicDescriptors(spec.nics).map(({ fd, devicePath }) => ({ fd, path: devicePath, access: 'read-write' as const }));
  return spec.incomingStatePath ? [...nics, { fd: 3 + nics.length, path: spec.incomingStatePath, access: 'read' as const }] : nics;
}

export interface DiskSpec {
  /** The qcow2 overlay in the run dir that the guest writes to; the user's image is only its backing file. */
  overlayPath: string;
}

export interface VmSpec {
  name: string;
  qemuBinary: string;
  accel: 'kvm' | 'tcg';
  memoryMiB: number;
  cpus: number;
  boot: BootSource;
  disks: DiskSpec[];
  nics: Nic[];
  /** SMBIOS type 11 OEM strings, each read from a file in the run dir so secrets never sit on a command line. */
  smbiosStringFiles: string[];
  /** QEMU fw_cfg entries (`opt/...` names), each read from a file in the run dir. */
  fwCfgFiles: { name: string; file: string }[];
  /** BIOS (SeaBIOS, i440fx) or UEFI (OVMF, q35) with a per-run copy of the variable store. */
  firmware: { kind: 'bios' } | { kind: 'uefi'; codePath: string; varsPath: string };
  /** Start from this saved state (a migration stream, `-incoming`); the command line must match the saving one but for ports. */
  incomingStatePath?: string | undefined;
  /** Raw console record written by QEMU itself: loss-free even when the pty drops the tail at exit. */
  consoleLogPath: string;
  qmpSocketPath: string;
  /** SeaBIOS mirrors VGA text to serial (needed to see iPXE) but duplicates bootloader text. */
  firmwareOnSerial: boolean;
  /**
   * The frames of one user-mode NIC written to a pcap file (QEMU's filter-dump) from the start, until the
   * harness removes the filter over QMP: how it sees the guest get an address before trying its SSH.
   */
  networkCapture?: { nicIndex: number; path: string } | undefined;
  /** Start paused so QMP is connected and ports are known before the guest runs. */
  startPaused: boolean;
  extraArgs: string[];
}
