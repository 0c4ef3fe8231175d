// The `nics` option checked and normalised once, at the boundary: modes, interface and namespace names, models, MACs.
import { UsageError } from '../errors.ts';
import { deterministicMac, parseMac } from '../net/mac-address.ts';

export type NicModel = 'virtio-net-pci' | 'e1000';

/**
 * One guest NIC. `user`: QEMU user-mode networking (10.0.2.0/24, SSH forwarded to 127.0.0.1);
 * `bridge`: a tap on a bridge (in a named network namespace when `netns` is given; made for the run when
 * `createBridge`); `macvtap`: a macvtap on a host interface `link`. L2 NICs get a MAC derived from the
 * VM's name and the NIC's position unless `mac` is given, so DHCP reservations can name it.
 */
export type NicOption =
  | { mode: 'user'; mac?: string }
  | { mode: 'bridge'; bridge: string; netns?: string; createBridge?: boolean; mac?: string; model?: NicModel }
  | { mode: 'macvtap'; link: string; netns?: string; mac?: string; model?: NicModel };

export type NicPlan =
  | { mode: 'user'; mac: string | undefined }
  | { mode: 'bridge'; bridge: string; netns: string | undefined; createBridge: boolean; mac: string; model: NicModel }
  | { mode: 'macvtap'; link: string; netns: string | undefined; mac: string; model: NicModel };

/** Interface names are at most 15 bytes and may not hold `/`, `:` or white space. */
function interfaceName(value: unknown, input: string): string {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_.-]{1,15}$/.test(value)) {
    throw new UsageError(input, `\`${String(value)}\` is not an interface name`, 'use 1 to 15 letters, digits, `.`, `_` or `-` (`ip link` lists the host\'s interfaces)');
  }
  return value;
}

function namespaceName(value: unknown, input: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(value)) {
    throw new UsageError(input, `\`${String(value)}\` is not a network namespace name`, 'name one listed by `ip netns list`');
  }
  return value;
}

function nicModel(value: unknown, input: string): NicModel {
  if (value === undefined) return 'virtio-net-pci';
  if (value === 'virtio-net-pci' || value === 'e1000') return value;
  throw new UsageError(input, `unknown NIC model \`${String(value)}\``, 'use virtio-net-pci (default) or e1000');
}

/** The NICs of `options` (`nics`, or one user-mode NIC unless `network: false`), checked: one user NIC at most, no shared MAC. */
export function resolveNics(options: { nics?: NicOption[] | undefined; network?: boolean | undefined }, vmName: string): NicPlan[] {
  if (options.nics !== undefined && options.network === false && options.nics.length > 0) {
    throw new UsageError('network: false with nics', 'no network and a list of NICs contradict each other', 'drop `network: false`, or pass `nics: []`');
  }
  if (options.nics === undefined) return options.network === false ? [] : [{ mode: 'user', mac: undefined }];
  if (!Array.isArray(options.nics)) throw new UsageError('nics', `expected a list of NICs, got ${typeof options.nics}`, 'pass e.g. nics: [{ mode: "user" }, { mode: "bridge", bridge: "br0" }]');
  const plans = options.nics.map((nic, index): NicPlan => {
    const input = `nics[${index}]`;
    const mac = (given: string | undefined) => (given === undefined ? deterministicMac(vmName, index) : parseMac(given, `${input}.mac`));
    switch (nic?.mode) {
      case 'user':
        return { mode: 'user', mac: nic.mac === undefined ? undefined : parseMac(nic.mac, `${input}.mac`) };
      case 'bridge':
        return {
          mode: 'bridge',
          bridge: interfaceName(nic.bridge, `${input}.bridge`),
          netns: namespaceName(nic.netns, `${input}.netns`),
          createBridge: Boolean(nic.createBridge),
          mac: mac(nic.mac),
          model: nicModel(nic.model, `${input}.model`),
        };
      case 'macvtap':
        return {
          mode: 'macvtap',
          link: interfaceName(nic.link, `${input}.link`),
          netns: namespaceName(nic.netns, `${input}.netns`),
          mac: mac(nic.mac),
          model: nicModel(nic.model, `${input}.model`),
        };
      default:
        throw new UsageError(`${input}.mode`, `unknown NIC mode \`${String((nic as { mode?: unknown } | undefined)?.mode)}\``, 'use user, bridge or macvtap');
    }
  });
  if (plans.filter((nic) => nic.mode === 'user').length > 1) {
    throw new UsageError('nics', 'more than one user-mode NIC', 'use one user-mode NIC (it carries SSH and iPXE); add bridge or macvtap NICs for more');
  }
  const seen = new Map<string, number>();
  plans.forEach((nic, index) => {
    if (!nic.mac) return;
    const earlier = seen.get(nic.mac);
    if (earlier !== undefined) throw new UsageError(`nics[${index}].mac`, `MAC ${nic.mac} is also nics[${earlier}]'s`, 'give each NIC its own MAC');
    seen.set(nic.mac, index);
  });
  return plans;
}
