import { describe, expect, it } from 'vitest';
import { buildQemuArgv, escapeOptionValue } from '../../../harness/qemu/qemu-argv.ts';
import { launcherScript } from '../../../harness/qemu/qemu-process.ts';
import { inheritedDescriptors, inheritedNicDescriptors } from '../../../harness/qemu/vm-spec.ts';
import { parseHostForwards } from '../../../harness/qemu/qmp-client.ts';
import type { VmSpec } from '../../../harness/qemu/vm-spec.ts';

function spec(overrides: Partial<VmSpec> = {}): VmSpec {
  return {
    name: 'test',
    qemuBinary: '/usr/bin/qemu-system-x86_64',
    accel: 'tcg',
    memoryMiB: 512,
    cpus: 1,
    boot: { kind: 'iso', iso: '/images/a.iso' },
    disks: [],
    nics: [{ mode: 'user', model: 'virtio-net-pci', optionRom: false, hostForwards: [{ hostAddress: '127.0.0.1', hostPort: 0, guestPort: 22 }] }],
    smbiosStringFiles: [],
    fwCfgFiles: [],
    firmware: { kind: 'bios' },
    consoleLogPath: '/logs/console.raw',
    qmpSocketPath: '/run/qmp.sock',
    firmwareOnSerial: false,
    startPaused: true,
    extraArgs: [],
    ...overrides,
  };
}

function optionValues(argv: string[], option: string): string[] {
  return argv.flatMap((arg, index) => (arg === option ? [argv[index + 1]!] : []));
}

describe('buildQemuArgv', () => {
  it('boots an ISO read-only from a CD-ROM, first in boot order', () => {
    const argv = buildQemuArgv(spec());
    expect(optionValues(argv, '-drive')).toContain('file=/images/a.iso,media=cdrom,readonly=on,if=ide,index=2');
    expect(optionValues(argv, '-boot')).toEqual(['order=d']);
  });

  it('forwards SSH on 127.0.0.1 only, with an OS-chosen port, and no option ROM when not netbooting', () => {
    const argv = buildQemuArgv(spec());
    expect(optionValues(argv, '-netdev')).toEqual(['user,id=net0,hostfwd=tcp:127.0.0.1:0-:22']);
    expect(optionValues(argv, '-device')).toContain('virtio-net-pci,netdev=net0,romfile=');
  });

  it('captures the forwarded NIC\'s frames (headers only) to the file given, under an id QMP can remove', () => {
    expect(optionValues(buildQemuArgv(spec()), '-object')).toEqual([]);
    const argv = buildQemuArgv(spec({ networkCapture: { nicIndex: 0, path: '/run/a,b/network-start.pcap' } }));
    expect(optionValues(argv, '-object')).toEqual(['filter-dump,id=network-capture,netdev=net0,file=/run/a,,b/network-start.pcap,maxlen=64']);
  });

  it('keeps serial on a logging stdio chardev and the monitor off stdio', () => {
    const argv = buildQemuArgv(spec());
    expect(optionValues(argv, '-chardev')).toEqual(['stdio,id=console0,signal=off,logfile=/logs/console.raw']);
    expect(optionValues(argv, '-serial')).toEqual(['chardev:console0']);
    expect(optionValues(argv, '-monitor')).toEqual(['none']);
    expect(argv).toContain('-S');
    expect(argv).not.toContain('-nographic');
    expect(buildQemuArgv(spec({ firmwareOnSerial: true }))).toContain('-nographic');
  });

  it('direct kernel boot passes kernel, initrd and the command line as separate argv entries', () => {
    const argv = buildQemuArgv(spec({ boot: { kind: 'kernel', kernel: '/k', initrd: '/i', append: 'console=ttyS0 a=$(b)' } }));
    expect(optionValues(argv, '-kernel')).toEqual(['/k']);
    expect(optionValues(argv, '-initrd')).toEqual(['/i']);
    expect(optionValues(argv, '-append')).toEqual(['console=ttyS0 a=$(b)']);
  });

  it('doubles commas in paths so a path cannot inject QEMU options', () => {
    const argv = buildQemuArgv(spec({ boot: { kind: 'iso', iso: '/x,format=raw.iso' }, disks: [{ overlayPath: '/r/d,0.qcow2' }] }));
    expect(optionValues(argv, '-drive')[0]).toBe('file=/x,,format=raw.iso,media=cdrom,readonly=on,if=ide,index=2');
    expect(optionValues(argv, '-drive')[1]).toBe('file=/r/d,,0.qcow2,if=virtio,format=qcow2,index=0');
    expect(escapeOptionValue('a,b,,c')).toBe('a,,b,,,,c');
  });

  it('passes credentials by file, never by value on the command line', () => {
    const argv = buildQemuArgv(spec({ smbiosStringFiles: ['/run/cred'] }));
    expect(optionValues(argv, '-smbios')).toEqual(['type=11,path=/run/cred']);
  });

  it('has no NIC at all when networking is off', () => {
    expect(optionValues(buildQemuArgv(spec({ nics: [] })), '-nic')).toEqual(['none']);
  });

  it('uses the chosen accelerator and no -cpu host (it aborts on hosts where KVM half works)', () => {
    const argv = buildQemuArgv(spec({ accel: 'kvm' }));
    expect(optionValues(argv, '-accel')).toEqual(['kvm']);
    expect(argv).not.toContain('host');
  });

  it('adds slirp TFTP and bootfile options for network boots', () => {
    const argv = buildQemuArgv(
      spec({ boot: { kind: 'network' }, nics: [{ mode: 'user', model: 'virtio-net-pci', optionRom: true, hostForwards: [], bootFile: 'http://10.0.2.2:8000/boot.ipxe' }] }),
    );
    expect(optionValues(argv, '-netdev')).toEqual(['user,id=net0,bootfile=http://10.0.2.2:8000/boot.ipxe']);
    expect(optionValues(argv, '-boot')).toEqual(['order=n']);
  });
});

describe('L2 NICs', () => {
  const l2Nics: VmSpec['nics'] = [
    { mode: 'user', model: 'virtio-net-pci', optionRom: false, hostForwards: [{ hostAddress: '127.0.0.1', hostPort: 0, guestPort: 22 }] },
    { mode: 'tap', model: 'virtio-net-pci', ifname: 'hbt0011aabb', macAddress: '02:11:22:33:44:55' },
    { mode: 'fd', model: 'e1000', devicePath: '/run/x/hbm1.dev', macAddress: '06:11:22:33:44:55' },
    { mode: 'fd', model: 'virtio-net-pci', devicePath: '/run/x/hbm2.dev', macAddress: '0a:11:22:33:44:55' },
  ];

  it('a bridge NIC is a tap QEMU creates by name, with no scripts, and its fixed MAC', () => {
    const argv = buildQemuArgv(spec({ nics: l2Nics }));
    expect(optionValues(argv, '-netdev')[1]).toBe('tap,id=net1,ifname=hbt0011aabb,script=no,downscript=no');
    expect(optionValues(argv, '-device')).toContain('virtio-net-pci,netdev=net1,romfile=,mac=02:11:22:33:44:55');
  });

  it('macvtap NICs are inherited descriptors numbered from 3 in NIC order, matching what the launcher opens', () => {
    const argv = buildQemuArgv(spec({ nics: l2Nics }));
    expect(optionValues(argv, '-netdev').slice(2)).toEqual(['tap,id=net2,fd=3', 'tap,id=net3,fd=4']);
    expect(optionValues(argv, '-device')).toContain('e1000,netdev=net2,romfile=,mac=06:11:22:33:44:55');
    const descriptors = inheritedNicDescriptors(l2Nics);
    expect(descriptors).toEqual([{ fd: 3, devicePath: '/run/x/hbm1.dev' }, { fd: 4, devicePath: '/run/x/hbm2.dev' }]);
    // Paths reach the shell through the environment, never spliced into the script.
    expect(launcherScript(descriptors)).toBe('exec "$@" 2>>"$HARNESS_QEMU_STDERR" 3<>"$HARNESS_QEMU_FD_3" 4<>"$HARNESS_QEMU_FD_4"');
    expect(launcherScript([])).toBe('exec "$@" 2>>"$HARNESS_QEMU_STDERR"');
  });
});

describe('firmware and host-to-guest channels', () => {
  it('UEFI: q35, read-only OVMF code, the per-run variable store', () => {
    const argv = buildQemuArgv(spec({ firmware: { kind: 'uefi', codePath: '/usr/share/OVMF/OVMF_CODE_4M.fd', varsPath: '/run/vars.fd' } }));
    expect(optionValues(argv, '-machine')).toEqual(['q35']);
    expect(optionValues(argv, '-drive')).toEqual(
      expect.arrayContaining(['if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd', 'if=pflash,format=raw,file=/run/vars.fd']),
    );
    expect(optionValues(buildQemuArgv(spec()), '-machine')).toEqual(['pc']);
  });

  it('fw_cfg entries come from files', () => {
    const argv = buildQemuArgv(spec({ fwCfgFiles: [{ name: 'opt/pre-nixos/root_key', file: '/run/key' }] }));
    expect(optionValues(argv, '-fw_cfg')).toEqual(['name=opt/pre-nixos/root_key,file=/run/key']);
  });
});

describe('snapshot arguments', () => {
  it('a restore adds only -incoming from the saved stream, inherited read-only after any NIC devices; nothing else changes', () => {
    const saving = buildQemuArgv(spec({}));
    const restoring = buildQemuArgv(spec({ incomingStatePath: "/cache/it's here/vmstate.mig" }));
    expect(optionValues(restoring, '-incoming')).toEqual(['fd:3']);
    expect(restoring.filter((arg, index) => arg !== '-incoming' && restoring[index - 1] !== '-incoming')).toEqual(saving);
    const withMacvtap = { nics: [{ mode: 'fd' as const, devicePath: '/dev/tap7', model: 'virtio-net-pci', macAddress: undefined }], incomingStatePath: '/cache/s.mig' };
    expect(inheritedDescriptors(withMacvtap as never)).toEqual([
      { fd: 3, path: '/dev/tap7', access: 'read-write' },
      { fd: 4, path: '/cache/s.mig', access: 'read' },
    ]);
    expect(launcherScript(inheritedDescriptors(withMacvtap as never))).toBe('exec "$@" 2>>"$HARNESS_QEMU_STDERR" 3<>"$HARNESS_QEMU_FD_3" 4<"$HARNESS_QEMU_FD_4"');
  });
});

describe('parseHostForwards', () => {
  it('reads the OS-chosen port from HMP info usernet', () => {
    const text =
      'Hub -1 (net0):\r\n  Protocol[State]    FD  Source Address  Port   Dest. Address  Port RecvQ SendQ\r\n  TCP[HOST_FORWARD]   8       127.0.0.1 42055       10.0.2.15    22     0     0\r\n';
    expect(parseHostForwards(text)).toEqual([{ hostAddress: '127.0.0.1', hostPort: 42055, guestPort: 22 }]);
    expect(parseHostForwards('Hub -1 (net0):\r\n')).toEqual([]);
  });
});
