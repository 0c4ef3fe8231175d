// MAC addresses for guest NICs. A DHCP reservation names a MAC, so an L2 guest's MAC must be the same on
// every run: derived from the VM's name (or given), locally administered, unicast, and unique in a run.
import { createHash } from 'node:crypto';
import { HarnessError, UsageError } from '../errors.ts';

/** `aa:bb:cc:dd:ee:ff`, lower case. */
export type MacAddress = string;

/**
 * A stable MAC for NIC `nicIndex` of the VM called `vmName`: SHA-256 of both, with the first octet's
 * locally-administered bit set and its multicast bit cleared, so it can never be a vendor's or a group address.
 */
export function deterministicMac(vmName: string, nicIndex: number): MacAddress {
  const digest = createHash('sha256').update(`boot-harness\0${vmName}\0${nicIndex}`).digest();
  const octets = [...digest.subarray(0, 6)];
  octets[0] = ((octets[0] ?? 0) & 0xfc) | 0x02;
  return octets.map((octet) => octet.toString(16).padStart(2, '0')).join(':');
}

/** Validates a MAC given by a user: six hex octets, unicast. Returns it in lower case. */
export function parseMac(value: string, input: string): MacAddress {
  const normalised = value.trim().toLowerCase().replaceAll('-', ':');
  if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(normalised)) {
    throw new UsageError(input, `\`${value}\` is not a MAC address`, 'write six hex octets, e.g. 52:54:00:12:34:56 (or leave it out to derive one from the VM name)');
  }
  if (Number.parseInt(normalised.slice(0, 2), 16) & 0x01) {
    throw new UsageError(input, `\`${value}\` is a multicast (group) address, which no NIC can own`, 'use an address whose first octet is even, e.g. 52:54:00:…');
  }
  if (normalised === '00:00:00:00:00:00') {
    throw new UsageError(input, 'the all-zero MAC is not a usable address', 'leave it out to derive one from the VM name');
  }
  return normalised;
}

export class MacCollisionError extends HarnessError {
  override readonly name = 'MacCollisionError';
  constructor(
    readonly mac: MacAddress,
    readonly owner: string,
    readonly claimant: string,
  ) {
    super(
      `MAC ${mac} of ${claimant} is already used by ${owner} in this run`,
      'Two NICs with one MAC on a segment steal each other\'s frames and DHCP leases. Fix: give the VMs different names (MACs derive from them) or set `mac` explicitly.',
    );
  }
}

/** MACs in use by live VMs of this process; a second claim of one is an error, a release frees it. */
export class MacRegistry {
  private readonly owners = new Map<MacAddress, string>();

  claim(mac: MacAddress, owner: string): () => void {
    const existing = this.owners.get(mac);
    if (existing !== undefined) throw new MacCollisionError(mac, existing, owner);
    this.owners.set(mac, owner);
    return () => {
      if (this.owners.get(mac) === owner) this.owners.delete(mac);
    };
  }

  get size(): number {
    return this.owners.size;
  }
}

/** The process-wide registry `bootVm` uses. */
export const macRegistry = new MacRegistry();
