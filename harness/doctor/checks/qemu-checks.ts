// QEMU: the binary, what it supports, a smoke start, user-mode networking and the KVM verdict.
import { parseQemuVersion } from '../../qemu/qemu-binary.ts';
import { parseHostForwards } from '../../qemu/qmp-client.ts';
import { finding, type CheckFinding, type DoctorCheck, type DoctorContext } from '../doctor-check.ts';

const installQemu = 'apt-get install -y --no-install-recommends qemu-system-x86 (or set HARNESS_QEMU to its path)';
export const requiredDevices = ['virtio-net-pci', 'virtio-rng-pci', 'virtio-serial-pci'] as const;
export const smokeArgs = ['-S', '-display', 'none', '-nodefaults', '-monitor', 'none', '-serial', 'none', '-parallel', 'none'];
export const userNetArgs = [
  ...smokeArgs,
  '-netdev', 'user,id=net0,hostfwd=tcp:127.0.0.1:0-:22',
  // No option ROM: this check is about slirp, the ROMs have their own check.
  '-device', 'virtio-net-pci,netdev=net0,romfile=',
];

function skipWithoutQemu(context: DoctorContext, command: string, why: string): CheckFinding | undefined {
  if (context.qemu.binary) return undefined;
  return finding('skip', 'qemu-system-x86_64 not found (see qemu.binary)', command, why);
}

function firstLine(text: string): string {
  return text.split('\n').map((line) => line.trim()).find(Boolean) ?? '';
}

function lastLine(text: string): string {
  return text.split('\n').map((line) => line.trim()).filter(Boolean).at(-1) ?? '';
}

export const qemuBinaryCheck: DoctorCheck = {
  id: 'qemu.binary',
  title: 'qemu-system-x86_64 present, version ≥ 7',
  timeoutMs: 5_000,
  async run(context) {
    const why = 'Every boot runs qemu-system-x86_64; versions before 7 lack options the harness passes.';
    if (!context.qemu.binary) {
      return finding('fail', context.qemu.problem ?? 'not found', 'command -v qemu-system-x86_64', why, installQemu);
    }
    const command = `${context.qemu.binary} --version`;
    const result = await context.env.run(context.qemu.binary, ['--version'], { timeoutMs: 4_000 });
    const version = parseQemuVersion(result.stdout);
    if (!version) {
      const said = result.spawnError ?? (firstLine(result.stderr) || firstLine(result.stdout) || `exit ${result.exitCode}`);
      return finding('fail', `could not read the version: ${said}`, command, why, installQemu);
    }
    if (version.major < 7) {
      return finding('warn', `${version.text} at ${context.qemu.binary}`, command, why, `Upgrade QEMU to 7 or newer: ${installQemu}`);
    }
    return finding('pass', `${version.text} at ${context.qemu.binary}`, command, why);
  },
};

export const qemuAcceleratorsCheck: DoctorCheck = {
  id: 'qemu.accelerators',
  title: 'QEMU accelerators (tcg, kvm)',
  timeoutMs: 5_000,
  async run(context) {
    const why = 'TCG is the fallback every host must have; KVM makes boots ~10x faster where it works.';
    const command = 'qemu-system-x86_64 -accel help';
    const skipped = skipWithoutQemu(context, command, why);
    if (skipped) return skipped;
    const result = await context.env.run(context.qemu.binary!, ['-accel', 'help'], { timeoutMs: 4_000 });
    const names = result.stdout
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => /^[a-z0-9_-]+$/.test(line));
    const seen = names.length ? `supports ${names.join(', ')}` : `no accelerator list (exit ${result.exitCode}) ${firstLine(result.stderr)}`.trim();
    if (!names.includes('tcg')) return finding('fail', seen, command, why, `Install a QEMU with TCG: ${installQemu}`);
    if (!names.includes('kvm')) return finding('warn', seen, command, why, 'Install a QEMU built with KVM support to use KVM where it works.');
    return finding('pass', seen, command, why);
  },
};

export const qemuDevicesCheck: DoctorCheck = {
  id: 'qemu.devices',
  title: 'QEMU virtio devices',
  timeoutMs: 5_000,
  async run(context) {
    const why = 'Guests get their NIC, entropy and console channel through virtio-net, virtio-rng and virtio-serial.';
    const command = "qemu-system-x86_64 -device help | grep -E 'virtio-(net|rng|serial)-pci'";
    const skipped = skipWithoutQemu(context, command, why);
    if (skipped) return skipped;
    const result = await context.env.run(context.qemu.binary!, ['-device', 'help'], { timeoutMs: 4_000 });
    const output = result.stdout + result.stderr;
    const missing = requiredDevices.filter((device) => !output.includes(`name "${device}"`));
    if (missing.length) {
      return finding('fail', `missing ${missing.join(', ')}`, command, why, `Install a full x86 QEMU: ${installQemu}`);
    }
    return finding('pass', `lists ${requiredDevices.join(', ')}`, command, why);
  },
};

export const qemuSmokeCheck: DoctorCheck = {
  id: 'qemu.smoke',
  title: 'QEMU starts paused and quits cleanly',
  timeoutMs: 10_000,
  lane: 'qemu',
  async run(context) {
    const why = 'Proves QEMU can run here at all (libraries, sandbox, permissions) before a boot depends on it.';
    const command = `qemu-system-x86_64 ${smokeArgs.join(' ')} -qmp unix:SOCK (query-status, then quit)`;
    const skipped = skipWithoutQemu(context, command, why);
    if (skipped) return skipped;
    const session = await context.env.withQemu(
      context.qemu.binary!,
      smokeArgs,
      async (qmp) => (await qmp.execute('query-status')) as { status?: string },
      8_000,
    );
    if (!session.started) {
      const said = lastLine(session.stderr) || session.error || `exit ${session.exitCode}`;
      return finding('fail', `QEMU did not start: ${said}`, command, why, 'Run the command by hand and fix what QEMU reports (missing libraries, seccomp, permissions).');
    }
    const status = session.value?.status ?? `unknown (${session.error ?? 'no answer'})`;
    if (!session.stoppedCleanly) {
      return finding('warn', `started (status ${status}) but did not exit cleanly on QMP quit; killed (exit ${session.exitCode})`, command, why,
        'Check QEMU stderr by hand; a QEMU that ignores quit leaves processes behind after failed runs.');
    }
    return finding('pass', `started (status ${status}), quit with exit 0`, command, why);
  },
};

export const userNetworkCheck: DoctorCheck = {
  id: 'network.user',
  title: 'User-mode networking with a 127.0.0.1 port forward',
  timeoutMs: 10_000,
  lane: 'qemu',
  async run(context) {
    const why = 'SSH to the guest goes through slirp, forwarded on an OS-chosen 127.0.0.1 port read back over QMP.';
    const command = 'qemu-system-x86_64 … -netdev user,id=net0,hostfwd=tcp:127.0.0.1:0-:22 -qmp unix:SOCK; HMP info usernet';
    const skipped = skipWithoutQemu(context, command, why);
    if (skipped) return skipped;
    const session = await context.env.withQemu(context.qemu.binary!, userNetArgs, (qmp) => qmp.human('info usernet'), 8_000);
    const fix = 'Use a QEMU built with libslirp (Debian: qemu-system-x86 ≥ 7 with libslirp0).';
    if (!session.started) {
      const said = lastLine(session.stderr) || session.error || `exit ${session.exitCode}`;
      return finding('fail', `QEMU did not start with -netdev user: ${said}`, command, why, fix);
    }
    const text = session.value ?? '';
    // HMP errors arrive as a successful QMP return string, so the text itself is checked.
    if (!session.value || /^(Error|Could not|unknown command)/im.test(text)) {
      return finding('fail', `info usernet failed: ${firstLine(text) || session.error || 'no answer'}`, command, why, fix);
    }
    const forward = parseHostForwards(text).find((rule) => rule.guestPort === 22);
    if (!forward || forward.hostPort === 0) {
      return finding('fail', `no TCP[HOST_FORWARD] port in info usernet: ${firstLine(text)}`, command, why, fix);
    }
    return finding('pass', `slirp forwards ${forward.hostAddress}:${forward.hostPort} to guest port 22`, command, why);
  },
};

export const kvmCheck: DoctorCheck = {
  id: 'kvm',
  title: '/dev/kvm present, read/write, and usable',
  // Locating the default image, a ~3 s functional probe, QEMU start-up under load.
  timeoutMs: 15_000,
  lane: 'qemu',
  async run(context) {
    const { env } = context;
    const why = 'With working KVM boots are ~10x faster; without it the harness uses TCG and runs take longer.';
    const device = await env.stat('/dev/kvm');
    if (!device || device.kind !== 'char-device') {
      context.recordVerdict({ accel: 'tcg', requested: 'auto', kvmUsable: false, reason: '/dev/kvm is absent: using TCG', fromCache: false });
      return finding('warn', '/dev/kvm absent: boots use TCG (slower)', 'ls -l /dev/kvm', why,
        'Enable virtualisation (VT-x/AMD-V, or nested virtualisation for a VM) and load kvm_intel or kvm_amd; TCG works meanwhile.');
    }
    if (!(await env.access('/dev/kvm', 'rw'))) {
      context.recordVerdict({ accel: 'tcg', requested: 'auto', kvmUsable: false, reason: '/dev/kvm is not readable and writable by this user: using TCG', fromCache: false });
      return finding('warn', '/dev/kvm present but not read/writable by this user: boots use TCG', 'test -r /dev/kvm -a -w /dev/kvm', why,
        'Add this user to the kvm group (usermod -aG kvm $USER) and log in again.');
    }
    const probeCommand = 'qemu-system-x86_64 -accel kvm -display none -serial stdio -monitor none -nodefaults -no-reboot -kernel KERNEL -append "console=ttyS0 panic=-1" (needs "Linux version" within 3 s)';
    if (!context.qemu.binary) {
      context.recordVerdict({ accel: 'tcg', requested: 'auto', kvmUsable: undefined, reason: 'QEMU not found: KVM not probed', fromCache: false });
      return finding('skip', '/dev/kvm present and read/writable; not probed without QEMU', probeCommand, why);
    }
    let kernelPath = context.options.kernelPath;
    let kernelNote = kernelPath ? `kernel ${kernelPath}` : '';
    if (!kernelPath) {
      const image = await env.locateDefaultImage(context.options.cacheDir);
      if (typeof image === 'string') kernelNote = `no kernel to probe with (${image})`;
      else {
        kernelPath = image.kernel;
        kernelNote = `default image kernel ${image.kernelVersion}`;
      }
    }
    const verdict = await env.chooseAccelerator({ qemuBinary: context.qemu.binary, kernelPath, cacheDir: context.options.cacheDir });
    context.recordVerdict(verdict);
    const command = probeCommand.replace('KERNEL', kernelPath ?? 'KERNEL');
    const detail = verdict.reason.replace(/^KVM (works|unusable|usability unknown, TCG is the safe choice): /, '');
    const probed = verdict.probeMs !== undefined ? `probe ${verdict.probeMs} ms, ${kernelNote}` : kernelNote;
    if (verdict.kvmUsable === true) return finding('pass', `KVM works, boots use KVM: ${detail} (${probed})`, command, why);
    if (verdict.kvmUsable === false) {
      return finding('warn', `/dev/kvm present but KVM unusable, boots use TCG (expect longer runs): ${detail} (${probed})`, command, why,
        'Nothing to do for TCG; for KVM fix (nested) virtualisation on the host: a guest that crawls under KVM means broken KVM.');
    }
    return finding('warn', `/dev/kvm present, KVM not probed, boots use TCG: ${kernelPath ? detail : kernelNote}`, command, why,
      'Build the default image (scripts/build-fixture) or pass --kernel FILE so the KVM probe can run.');
  },
};
