// Host resources: disk, memory, CPUs, tap networking and the iPXE option ROMs.
import { finding, type DoctorCheck } from '../doctor-check.ts';
import type { DoctorEnvironment } from '../doctor-environment.ts';
import { hasNetAdmin } from '../../net/l2/l2-capability.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

function formatBytes(bytes: number): string {
  return bytes >= GiB ? `${(bytes / GiB).toFixed(1)} GiB` : `${Math.round(bytes / MiB)} MiB`;
}

export const diskWarnBytes = 2 * GiB;
export const diskFailBytes = 256 * MiB;

export const diskSpaceCheck: DoctorCheck = {
  id: 'disk.space',
  title: 'Free disk space for run logs and the cache',
  timeoutMs: 3_000,
  async run({ env, options }) {
    const command = `df ${options.logDir} ${options.cacheDir}`;
    const why = 'Each run writes console logs and qcow2 overlays; the cache holds the default image.';
    const places = [options.logDir, options.cacheDir];
    const free = await Promise.all(places.map((place) => env.freeBytes(place)));
    const known = places.flatMap((place, index) => (free[index] === undefined ? [] : [{ place, bytes: free[index]! }]));
    if (!known.length) return finding('warn', 'could not read free space', command, why, 'Check the paths exist and df works.');
    const least = known.reduce((a, b) => (b.bytes < a.bytes ? b : a));
    const seen = known.map(({ place, bytes }) => `${place}: ${formatBytes(bytes)} free`).join('; ');
    const fix = `Free space under ${least.place}, or point HARNESS_LOG_DIR / HARNESS_CACHE_DIR at a bigger disk.`;
    if (least.bytes < diskFailBytes) return finding('fail', seen, command, why, fix);
    if (least.bytes < diskWarnBytes) return finding('warn', seen, command, why, fix);
    return finding('pass', seen, command, why);
  },
};

/** Bytes, or undefined for "no limit". Values near 2^63 are how cgroup v1 spells "unlimited". */
export function parseMemoryLimit(text: string | undefined): number | undefined {
  const value = text?.trim();
  if (!value || value === 'max') return undefined;
  const bytes = Number(value);
  if (!Number.isFinite(bytes) || bytes >= 2 ** 62) return undefined;
  return bytes;
}

/** Pure: /proc/self/cgroup → the files that may hold this process's memory limit, most specific first. */
export function memoryLimitFiles(procSelfCgroup: string): string[] {
  const files: string[] = [];
  for (const line of procSelfCgroup.split('\n')) {
    const [, controllers, path] = /^\d+:([^:]*):(.*)$/.exec(line.trim()) ?? [];
    if (path === undefined || controllers === undefined) continue;
    const sub = path === '/' ? '' : path;
    if (controllers === '') {
      files.push(`/sys/fs/cgroup${sub}/memory.max`, '/sys/fs/cgroup/memory.max');
    } else if (controllers.split(',').includes('memory')) {
      files.push(`/sys/fs/cgroup/memory${sub}/memory.limit_in_bytes`, '/sys/fs/cgroup/memory/memory.limit_in_bytes');
    }
  }
  return [...new Set(files)];
}

export function parseMemAvailableBytes(meminfo: string | undefined): number | undefined {
  const match = /^MemAvailable:\s+(\d+)\s*kB/m.exec(meminfo ?? '');
  return match ? Number(match[1]) * 1024 : undefined;
}

async function readMemoryLimit(env: DoctorEnvironment): Promise<{ file: string; bytes: number } | undefined> {
  const files = memoryLimitFiles((await env.readText('/proc/self/cgroup')) ?? '');
  for (const file of files) {
    const text = await env.readText(file);
    if (text === undefined) continue;
    const bytes = parseMemoryLimit(text);
    // The first file that exists is the one that applies; "unlimited" there means no cgroup limit.
    return bytes === undefined ? undefined : { file, bytes };
  }
  return undefined;
}

/** QEMU's own footprint on top of guest RAM (TCG translation cache, slirp, device state). */
export const qemuOverheadMiB = 256;

export const memoryCheck: DoctorCheck = {
  id: 'memory',
  title: 'Memory for a guest (cgroup limit, MemAvailable)',
  timeoutMs: 3_000,
  async run({ env, options }) {
    const command = 'cat /proc/self/cgroup; cat <cgroup>/memory.max (or memory.limit_in_bytes); grep MemAvailable /proc/meminfo';
    const why = `A guest takes ${options.vmMemoryMiB} MiB plus QEMU overhead; the OOM killer ends runs that do not fit.`;
    const [limit, available] = await Promise.all([readMemoryLimit(env), env.readText('/proc/meminfo').then(parseMemAvailableBytes)]);
    if (available === undefined && limit === undefined) {
      return finding('warn', 'could not read MemAvailable nor a cgroup limit', command, why, 'Check /proc/meminfo is readable.');
    }
    const usable = Math.min(limit?.bytes ?? Infinity, available ?? Infinity);
    const parts = [
      limit ? `cgroup limit ${formatBytes(limit.bytes)} (${limit.file})` : 'no cgroup memory limit',
      available !== undefined ? `MemAvailable ${formatBytes(available)}` : 'MemAvailable unknown',
    ];
    const needBytes = (options.vmMemoryMiB + qemuOverheadMiB) * MiB;
    const seen = `${parts.join(', ')}; one guest needs ~${formatBytes(needBytes)}`;
    const fix = 'Raise the container/cgroup memory limit, stop other guests, or boot with less --memory.';
    if (usable < needBytes) return finding('fail', seen, command, why, fix);
    if (usable < 2 * needBytes) return finding('warn', seen, command, why, fix);
    return finding('pass', seen, command, why);
  },
};

export const cpuCountCheck: DoctorCheck = {
  id: 'cpu.count',
  title: 'CPU count',
  timeoutMs: 1_000,
  async run({ env }) {
    const command = 'nproc';
    const why = 'TCG emulates the guest on host CPUs: with one CPU the guest and the harness starve each other.';
    const count = env.facts.cpuCount;
    if (count < 2) return finding('warn', `${count} CPU`, command, why, 'Give the host or container at least 2 CPUs; expect slow, flaky boots meanwhile.');
    return finding('pass', `${count} CPUs`, command, why);
  },
};

/** What L2 NICs and the L2 test segments run: iproute2 for every tap/macvtap, dnsmasq and ping for the segments. */
export const l2Tools: { name: string; package: string }[] = [
  { name: 'ip', package: 'iproute2' },
  { name: 'dnsmasq', package: 'dnsmasq-base' },
  { name: 'ping', package: 'iputils-ping' },
];

export const tapNetworkingCheck: DoctorCheck = {
  id: 'network.tap',
  title: 'L2 networking: /dev/net/tun, CAP_NET_ADMIN, ip, dnsmasq (bridge/macvtap only)',
  timeoutMs: 2_000,
  async run({ env }) {
    const command = 'ls -l /dev/net/tun; grep CapEff /proc/self/status; command -v ip dnsmasq ping';
    const why = 'Only bridge and macvtap NICs (and the L2 test segments) need them; the default user-mode networking does not.';
    const [tun, readable, status, found] = await Promise.all([
      env.stat('/dev/net/tun'),
      env.access('/dev/net/tun', 'rw'),
      env.readText('/proc/self/status'),
      Promise.all(l2Tools.map((tool) => env.which(tool.name))),
    ]);
    const netAdmin = hasNetAdmin(status);
    const missingTools = l2Tools.filter((_tool, index) => !found[index]);
    const tunSeen = !tun ? '/dev/net/tun absent' : !readable ? '/dev/net/tun not read/writable' : '/dev/net/tun read/writable';
    const capSeen = netAdmin === undefined ? 'capabilities unknown' : netAdmin ? 'CAP_NET_ADMIN held' : 'no CAP_NET_ADMIN';
    const toolSeen = missingTools.length ? `missing ${missingTools.map((tool) => tool.name).join(', ')}` : 'ip, dnsmasq, ping found';
    const seen = `${tunSeen}; ${capSeen}; ${toolSeen}`;
    if (tun && readable && netAdmin && !missingTools.length) return finding('pass', seen, command, why);
    const fixes: string[] = [];
    if (!tun || !readable || !netAdmin) fixes.push('run as root or with --cap-add NET_ADMIN --device /dev/net/tun');
    if (missingTools.length) fixes.push(`apt-get install ${missingTools.map((tool) => tool.package).join(' ')}`);
    return finding('warn', seen, command, why, `Only for bridge/macvtap NICs: ${fixes.join('; ')}. User-mode networking works without.`);
  },
};

/** Where Debian's QEMU looks for firmware and option ROMs (its --firmwarepath), then other distributions. */
export const romDirectories = ['/usr/share/qemu', '/usr/lib/ipxe/qemu', '/usr/share/ipxe', '/usr/share/qemu-efi', '/usr/lib/ipxe'];
/** The ROM QEMU loads by default for each NIC model the harness uses. */
export const nicRoms: Record<string, string> = { 'virtio-net-pci': 'efi-virtio.rom', e1000: 'efi-e1000.rom' };

export const ipxeRomsCheck: DoctorCheck = {
  id: 'ipxe.roms',
  title: 'iPXE option ROMs for virtio-net-pci and e1000',
  timeoutMs: 2_000,
  async run({ env }) {
    const roms = Object.values(nicRoms);
    const command = `ls ${romDirectories[1]}/{${roms.join(',')}}`;
    const why = 'Network (iPXE chain) boots load the NIC option ROM; ISO and kernel boots do not need it.';
    const found = await Promise.all(
      roms.map(async (rom) => {
        for (const dir of romDirectories) if ((await env.stat(`${dir}/${rom}`))?.kind === 'file') return `${dir}/${rom}`;
        return undefined;
      }),
    );
    const missing = roms.filter((_, index) => !found[index]);
    if (missing.length) {
      return finding('warn', `missing ${missing.join(', ')} (looked in ${romDirectories.join(', ')})`, command, why,
        'apt-get install -y --no-install-recommends ipxe-qemu');
    }
    return finding('pass', found.join(', '), command, why);
  },
};

export const vgaOcrCheck: DoctorCheck = {
  id: 'vga.ocr',
  title: 'OCR for graphics-mode VGA screens (tesseract)',
  timeoutMs: 2_000,
  async run({ env }) {
    const command = 'command -v tesseract';
    const why = 'vm.vgaText() reads text-mode screens from video memory; graphics modes (GRUB gfxterm, vesamenu, a framebuffer console) need OCR.';
    const found = await env.which('tesseract');
    if (!found) return finding('warn', 'tesseract not found on PATH', command, why, 'apt-get install -y --no-install-recommends tesseract-ocr');
    return finding('pass', found, command, why);
  },
};
