// Whether this process may build L2 networking: a tap or macvtap needs CAP_NET_ADMIN, a tap also a
// usable /dev/net/tun, and all of it `ip`. Checked before QEMU starts, so a gap is one clear error.
import { access, constants, readFile } from 'node:fs/promises';
import { execa } from 'execa';
import { HarnessError } from '../../errors.ts';

/** CAP_NET_ADMIN is bit 12 of the effective capability mask in /proc/self/status. */
export function hasNetAdmin(procSelfStatus: string | undefined): boolean | undefined {
  const match = /^CapEff:\s*([0-9a-f]+)/im.exec(procSelfStatus ?? '');
  if (!match) return undefined;
  return (BigInt(`0x${match[1]}`) & (1n << 12n)) !== 0n;
}

export interface L2Capability {
  usable: boolean;
  /** One entry per missing prerequisite, in words a person acts on. */
  missing: string[];
}

export async function probeL2Capability(needs: { tun: boolean }): Promise<L2Capability> {
  const missing: string[] = [];
  // Unreadable is reported just below as "could not read /proc/self/status to tell".
  const status = await readFile('/proc/self/status', 'utf8').catch(() => undefined);
  const netAdmin = hasNetAdmin(status);
  if (netAdmin === false) missing.push('CAP_NET_ADMIN (this process may not create or attach network interfaces)');
  if (netAdmin === undefined) missing.push('CAP_NET_ADMIN (could not read /proc/self/status to tell)');
  if (needs.tun) {
    const tun = await access('/dev/net/tun', constants.R_OK | constants.W_OK).then(() => true, () => false);
    if (!tun) missing.push('/dev/net/tun (absent or not read/writable)');
  }
  const ipTool = await execa('ip', ['-V'], { reject: false, timeout: 5000 }).then((result) => result.exitCode === 0, () => false);
  if (!ipTool) missing.push('the `ip` command (Debian package iproute2)');
  return { usable: missing.length === 0, missing };
}

export class L2UnavailableError extends HarnessError {
  override readonly name = 'L2UnavailableError';
  constructor(
    readonly nicModes: readonly string[],
    readonly missing: readonly string[],
  ) {
    super(
      `${nicModes.join(' and ')} networking needs what this host does not give: ${missing.join('; ')}`,
      'Fix: run as root, or in a container with --cap-add NET_ADMIN --device /dev/net/tun and iproute2 installed; ' +
        'or allow the fallback (`l2Fallback: "user"`, CLI --l2-fallback user) to boot with user-mode networking and a warning in the report.',
    );
  }
}
