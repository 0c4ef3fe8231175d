// The machine recipe is pure: a plan and a key in, the run-dir files and the VmSpec out. No QEMU, no files.
import { describe, expect, it } from 'vitest';
import type { BootPlan } from '../../../harness/boot/boot-options.ts';
import { machineRecipe, sshKeyCredential, userNicFor, vmSpec } from '../../../harness/boot/machine-recipe.ts';

const runDir = '/run/harness/r1';
const publicKey = 'ssh-ed25519 AAAAtest boot-harness-r1';
const keyBase64 = Buffer.from(`${publicKey}\n`).toString('base64');

function plan(overrides: Partial<BootPlan> = {}): BootPlan {
  return {
    name: 'r1',
    snapshotable: false,
    restoreFrom: undefined,
    source: { kind: 'iso', iso: '/images/a.iso', isDefaultImage: false },
    disks: [],
    memoryMiB: 512,
    keyInjection: 'smbios',
    sshPort: 0,
    firmware: 'bios',
    credentials: [],
    qemuBinary: '/usr/bin/qemu-system-x86_64',
    extraQemuArgs: [],
    ...overrides,
  } as BootPlan;
}

describe('machineRecipe', () => {
  it('smbios: the key becomes the first SMBIOS credential, through 0600 files in the run dir', () => {
    const recipe = machineRecipe(plan({ credentials: [{ name: 'extra', file: '/home/u/extra.cred' }] }), { runDir, publicKey });
    expect(recipe.artefacts).toEqual([
      { kind: 'secret', path: `${runDir}/ssh-key.pub`, text: `${publicKey}\n` },
      { kind: 'smbios-credential', path: `${runDir}/smbios-credential-0`, name: sshKeyCredential, sourcePath: `${runDir}/ssh-key.pub` },
      { kind: 'smbios-credential', path: `${runDir}/smbios-credential-1`, name: 'extra', sourcePath: '/home/u/extra.cred' },
    ]);
    expect(recipe.smbiosStringFiles).toEqual([`${runDir}/smbios-credential-0`, `${runDir}/smbios-credential-1`]);
    expect(recipe.fwCfgFiles).toEqual([]);
    expect(recipe.boot).toEqual({ kind: 'iso', iso: '/images/a.iso' });
  });

  it('cmdline: the key rides on the kernel command line, and nothing is written', () => {
    const source = { kind: 'kernel', kernel: '/k', initrd: '/i', append: 'console=ttyS0', isDefaultImage: false } as const;
    const recipe = machineRecipe(plan({ keyInjection: 'cmdline', source }), { runDir, publicKey });
    expect(recipe.boot).toEqual({ kind: 'kernel', kernel: '/k', initrd: '/i', append: `console=ttyS0 pre_nixos.root_key=${keyBase64}` });
    expect(recipe.artefacts).toEqual([]);
  });

  it('fw_cfg: the key is an fw_cfg file', () => {
    const recipe = machineRecipe(plan({ keyInjection: 'fw_cfg' }), { runDir, publicKey });
    expect(recipe.fwCfgFiles).toEqual([{ name: 'opt/pre-nixos/root_key', file: `${runDir}/fw-cfg-root-key` }]);
    expect(recipe.artefacts).toEqual([{ kind: 'secret', path: `${runDir}/fw-cfg-root-key`, text: `${publicKey}\n` }]);
  });

  it('a local iPXE chain carries the key on its command line; a remote one is only a URL', () => {
    const local = machineRecipe(plan({ keyInjection: 'cmdline', source: { kind: 'ipxe', mode: 'http', kernel: '/k', initrd: undefined, append: 'quiet', isDefaultImage: false } }), { runDir, publicKey });
    expect(local.boot).toEqual({ kind: 'network' });
    expect(local.chain).toEqual({ kernel: '/k', initrd: undefined, append: `quiet pre_nixos.root_key=${keyBase64}`, mode: 'http' });
    const remote = machineRecipe(plan({ keyInjection: 'none', source: { kind: 'ipxe', mode: 'remote', url: 'http://x/boot.ipxe', isDefaultImage: false } }), { runDir, publicKey });
    expect(remote.chain).toBeUndefined();
    expect(userNicFor(plan({ source: { kind: 'ipxe', mode: 'remote', url: 'http://x/boot.ipxe', isDefaultImage: false } }), remote, undefined, undefined)).toMatchObject({
      optionRom: true,
      bootFile: 'http://x/boot.ipxe',
    });
  });

  it('UEFI: a per-run copy of the variable store', () => {
    const recipe = machineRecipe(plan({ firmware: 'uefi', keyInjection: 'none' }), { runDir, publicKey });
    expect(recipe.firmware).toEqual({ kind: 'uefi', codePath: '/usr/share/OVMF/OVMF_CODE_4M.fd', varsPath: `${runDir}/OVMF_VARS.fd` });
    expect(recipe.artefacts).toEqual([{ kind: 'copy', path: `${runDir}/OVMF_VARS.fd`, from: '/usr/share/OVMF/OVMF_VARS_4M.fd', clone: false }]);
  });

  it('disks are overlays (the image is never written); a snapshotable guest needs no drive of its own for its state', () => {
    const disks: BootPlan['disks'] = [{ kind: 'file', path: '/images/d.qcow2' }, { kind: 'blank', sizeMiB: 64 }];
    const recipe = machineRecipe(plan({ keyInjection: 'none', disks, snapshotable: true }), { runDir, publicKey });
    expect(recipe.artefacts).toEqual([
      { kind: 'overlay', path: `${runDir}/disk0.qcow2`, backing: { path: '/images/d.qcow2' } },
      { kind: 'overlay', path: `${runDir}/disk1.qcow2`, backing: { sizeMiB: 64 } },
    ]);
    expect(recipe.disks).toEqual([{ overlayPath: `${runDir}/disk0.qcow2` }, { overlayPath: `${runDir}/disk1.qcow2` }]);
    expect(recipe.qemuImg).toBe('/usr/bin/qemu-img');
  });

  it('a restore clones the saved drives instead of making new overlays, and reads the saved state in place', () => {
    const restoreFrom = { dir: '/cache/snap', snapshotName: 'harness-ready', prompt: '# ', privateKeyPath: '/cache/snap/id_ed25519' };
    const restored = plan({ keyInjection: 'none', disks: [{ kind: 'blank', sizeMiB: 64 }], snapshotable: true, restoreFrom });
    const recipe = machineRecipe(restored, { runDir, publicKey });
    expect(recipe.artefacts).toEqual([
      { kind: 'copy', path: `${runDir}/disk0.qcow2`, from: '/cache/snap/disk0.qcow2', clone: true },
    ]);
    expect(vmSpec(restored, recipe, { runDir, accel: 'tcg', cpus: 1, nics: [], consoleLogPath: '/logs/console.raw' })).toMatchObject({
      incomingStatePath: '/cache/snap/vmstate.mig',
      startPaused: true,
    });
  });

  it('vmSpec: the network capture goes on the NIC that forwards SSH, and nowhere without one', () => {
    const p = plan();
    const recipe = machineRecipe(p, { runDir, publicKey });
    const user = userNicFor(p, recipe, undefined, undefined);
    const tap = { mode: 'tap', model: 'virtio-net-pci', ifname: 'bh-tap0', macAddress: '52:54:00:00:00:02' } as const;
    const machine = { runDir, accel: 'tcg' as const, cpus: 1, consoleLogPath: '/logs/console.raw', networkCapturePath: `${runDir}/network-start.pcap` };
    expect(vmSpec(p, recipe, { ...machine, nics: [tap, user] }).networkCapture).toEqual({ nicIndex: 1, path: `${runDir}/network-start.pcap` });
    expect(vmSpec(p, recipe, { ...machine, nics: [tap] }).networkCapture).toBeUndefined();
    expect(vmSpec(p, recipe, { ...machine, nics: [user], networkCapturePath: undefined }).networkCapture).toBeUndefined();
  });

  it('vmSpec: the recipe plus what was decided at start (accelerator, vCPUs, NICs)', () => {
    const p = plan();
    const recipe = machineRecipe(p, { runDir, publicKey });
    const nic = userNicFor(p, recipe, undefined, '52:54:00:00:00:01');
    expect(nic).toEqual({
      mode: 'user',
      model: 'virtio-net-pci',
      optionRom: false,
      hostForwards: [{ hostAddress: '127.0.0.1', hostPort: 0, guestPort: 22 }],
      bootFile: undefined,
      tftpRoot: undefined,
      macAddress: '52:54:00:00:00:01',
    });
    expect(vmSpec(p, recipe, { runDir, accel: 'kvm', cpus: 2, nics: [nic], consoleLogPath: '/logs/console.raw' })).toEqual({
      name: 'r1',
      qemuBinary: '/usr/bin/qemu-system-x86_64',
      accel: 'kvm',
      memoryMiB: 512,
      cpus: 2,
      boot: { kind: 'iso', iso: '/images/a.iso' },
      disks: [],
      nics: [nic],
      smbiosStringFiles: [`${runDir}/smbios-credential-0`],
      fwCfgFiles: [],
      firmware: { kind: 'bios' },
      incomingStatePath: undefined,
      consoleLogPath: '/logs/console.raw',
      qmpSocketPath: `${runDir}/qmp.sock`,
      firmwareOnSerial: false,
      startPaused: true,
      extraArgs: [],
    });
  });
});
