// A macvtap on a host interface: the guest NIC appears on that interface's segment next to the host,
// without a bridge. QEMU gets it as an open file descriptor of its character device; there is no udev
// here, so the harness makes that device node itself (in the run dir) from the numbers in sysfs.
import { execa } from 'execa';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { inNamespace, ip, NetworkSetupError } from './ip-command.ts';
import type { L2Ledger } from './l2-ledger.ts';

export interface MacvtapRequest {
  /** Interface name for the macvtap (≤ 15 bytes). */
  name: string;
  /** The host interface it sits on (its "lower" device). */
  link: string;
  netns?: string | undefined;
  /** Must be the guest NIC's MAC: macvtap delivers only frames addressed to its own MAC. */
  mac: string;
  /** Folder for the device node (the private run dir). */
  deviceDir: string;
}

export interface Macvtap {
  name: string;
  netns: string | undefined;
  /** A character device QEMU opens read-write and uses as `-netdev tap,fd=N`. */
  devicePath: string;
}

export async function createMacvtap(request: MacvtapRequest, ledger: L2Ledger): Promise<Macvtap> {
  const options = { netns: request.netns };
  await ip(['link', 'show', 'dev', request.link], options).catch((error: unknown) => {
    if (error instanceof NetworkSetupError && !/network namespace/i.test(error.stderr)) {
      throw new NetworkSetupError(error.command, `host interface ${request.link}${request.netns ? ` (in namespace ${request.netns})` : ''} for the macvtap NIC: ${error.stderr.trim()}`, error.exitCode, 'name an existing interface (`ip link` lists them)');
    }
    throw error;
  });
  ledger.record({ kind: 'link', name: request.name, netns: request.netns });
  await ip(['link', 'add', 'link', request.link, 'name', request.name, 'address', request.mac, 'type', 'macvtap', 'mode', 'bridge'], options);
  await ip(['link', 'set', 'dev', request.name, 'up'], options);
  const numbers = await deviceNumbers(request.name, request.netns);
  const devicePath = join(request.deviceDir, `${request.name}.dev`);
  const made = await execa('mknod', ['-m', '0600', devicePath, 'c', String(numbers.major), String(numbers.minor)], { reject: false });
  if (made.exitCode !== 0) {
    throw new NetworkSetupError(['mknod', devicePath, 'c', String(numbers.major), String(numbers.minor)], made.stderr, made.exitCode, 'the run dir must be on a file system that allows device nodes (not mounted nodev): point TMPDIR elsewhere');
  }
  return { name: request.name, netns: request.netns, devicePath };
}

/** `/sys/class/net/<if>/macvtap/tap<ifindex>/dev` holds `major:minor`; sysfs shows the namespace it was mounted in. */
async function deviceNumbers(name: string, netns: string | undefined): Promise<{ major: number; minor: number }> {
  const index = Number.parseInt((await ip(['-o', 'link', 'show', 'dev', name], { netns })).split(':')[0] ?? '', 10);
  const path = `/sys/class/net/${name}/macvtap/tap${index}/dev`;
  // Unreadable gives no device numbers: the error just below says what was read.
  const text = netns ? (await inNamespace(netns, ['cat', path])).stdout : await readFile(path, 'utf8').catch(() => '');
  const match = /^(\d+):(\d+)/.exec(text.trim());
  if (!match) throw new NetworkSetupError(['cat', path], `no device numbers for macvtap ${name} (read \`${text.trim()}\`)`, undefined, 'the kernel needs macvtap support (modprobe macvtap)');
  return { major: Number(match[1]), minor: Number(match[2]) };
}
