// The guest's NICs, from plan to QEMU: user-mode NICs as they are; bridge NICs as taps QEMU creates and
// the harness bridges once QEMU is up (still paused); macvtap NICs made before QEMU and handed over as
// file descriptors. Everything made is in the run's ledger, so stop, a signal or the next run's sweep
// removes it; MACs are claimed for the VM's life so two live VMs never share one.
import { randomBytes } from 'node:crypto';
import { ensureBridge, type BridgeRef } from '../net/l2/bridge-link.ts';
import { describeObject, harnessInterfaceName, L2Ledger } from '../net/l2/l2-ledger.ts';
import { L2UnavailableError, probeL2Capability, type L2Capability } from '../net/l2/l2-capability.ts';
import { createMacvtap } from '../net/l2/macvtap-link.ts';
import { attachTapToBridge } from '../net/l2/tap-link.ts';
import { macRegistry } from '../net/mac-address.ts';
import type { Nic, UserNic } from '../qemu/vm-spec.ts';
import type { NicPlan } from './boot-options.ts';

/** What the report says of each NIC. */
export interface NicRecord {
  index: number;
  mode: 'user' | 'bridge' | 'macvtap';
  mac: string | undefined;
  /** The host-side interface (tap or macvtap) the harness made. */
  hostInterface?: string;
  bridge?: string;
  link?: string;
  netns?: string;
  /** Set when the plan asked for another mode and the fallback replaced it. */
  replaced?: string;
}

export interface PreparedNics {
  nics: Nic[];
  records: NicRecord[];
  warnings: string[];
  /** Bridges the taps QEMU created; call once QEMU runs, before the guest is resumed. */
  attachAfterStart(): Promise<void>;
  /** Removes what was made and frees the MACs. Idempotent. */
  release(): Promise<void>;
  /** The same, synchronously, for process exit; returns what could not be removed (each with why). */
  releaseSync(): string[];
}

export interface NicSetupContext {
  vmName: string;
  runDir: string;
  /** The user-mode NIC the VM needs (forwards, iPXE boot file). */
  userNic: (mac: string | undefined) => UserNic;
  /** Overridable for tests. */
  probe?: (needs: { tun: boolean }) => Promise<L2Capability>;
}

export async function prepareNics(plans: readonly NicPlan[], fallback: 'error' | 'user', context: NicSetupContext): Promise<PreparedNics> {
  const ledger = new L2Ledger(context.runDir);
  const releases: (() => void)[] = [];
  const warnings: string[] = [];
  let effective = [...plans];
  const l2 = plans.filter((plan) => plan.mode !== 'user');
  const replacedBy = new Map<number, string>();
  if (l2.length > 0) {
    const capability = await (context.probe ?? probeL2Capability)({ tun: l2.some((plan) => plan.mode === 'bridge') });
    if (!capability.usable) {
      const modes = [...new Set(l2.map((plan) => plan.mode))];
      if (fallback === 'error') throw new L2UnavailableError(modes, capability.missing);
      effective = [];
      let userPlaced = plans.some((plan) => plan.mode === 'user');
      for (const plan of plans) {
        if (plan.mode === 'user') effective.push(plan);
        else if (!userPlaced) {
          userPlaced = true;
          replacedBy.set(effective.length, describePlan(plan));
          effective.push({ mode: 'user', mac: undefined });
        }
      }
      warnings.push(
        `L2 networking unavailable (${capability.missing.join('; ')}): ${l2.map(describePlan).join(', ')} ` +
          `replaced by user-mode networking (l2Fallback: user). The guest is not on the L2 segment.`,
      );
    }
  }

  const nics: Nic[] = [];
  const records: NicRecord[] = [];
  const taps: { name: string; bridge: BridgeRef }[] = [];
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    for (const free of releases) free();
    await ledger.undo();
  };
  try {
    for (const [index, plan] of effective.entries()) {
      if (plan.mac) releases.push(macRegistry.claim(plan.mac, `${context.vmName} (NIC ${index})`));
      const hex = randomBytes(4).toString('hex');
      switch (plan.mode) {
        case 'user':
          nics.push(context.userNic(plan.mac));
          records.push({ index, mode: 'user', mac: plan.mac, ...(replacedBy.has(index) ? { replaced: replacedBy.get(index)! } : {}) });
          break;
        case 'bridge': {
          const bridge = { name: plan.bridge, netns: plan.netns };
          await ensureBridge(bridge, { create: plan.createBridge, ledger });
          const name = harnessInterfaceName('t', hex);
          nics.push({ mode: 'tap', model: plan.model, ifname: name, macAddress: plan.mac });
          taps.push({ name, bridge });
          records.push({ index, mode: 'bridge', mac: plan.mac, hostInterface: name, bridge: plan.bridge, ...(plan.netns ? { netns: plan.netns } : {}) });
          break;
        }
        case 'macvtap': {
          const macvtap = await createMacvtap({ name: harnessInterfaceName('m', hex), link: plan.link, netns: plan.netns, mac: plan.mac, deviceDir: context.runDir }, ledger);
          nics.push({ mode: 'fd', model: plan.model, devicePath: macvtap.devicePath, macAddress: plan.mac });
          records.push({ index, mode: 'macvtap', mac: plan.mac, hostInterface: macvtap.name, link: plan.link, ...(plan.netns ? { netns: plan.netns } : {}) });
          break;
        }
      }
    }
  } catch (error) {
    await release();
    throw error;
  }
  return {
    nics,
    records,
    warnings,
    attachAfterStart: async () => {
      for (const tap of taps) await attachTapToBridge(tap.name, tap.bridge);
    },
    release,
    releaseSync: () => {
      if (released) return [];
      released = true;
      for (const free of releases) free();
      return ledger.undoSync().map(({ object, reason }) => `${describeObject(object)}: ${reason}`);
    },
  };
}

function describePlan(plan: NicPlan): string {
  switch (plan.mode) {
    case 'user':
      return 'user-mode NIC';
    case 'bridge':
      return `bridge NIC on ${plan.bridge}${plan.netns ? ` (netns ${plan.netns})` : ''}`;
    case 'macvtap':
      return `macvtap NIC on ${plan.link}${plan.netns ? ` (netns ${plan.netns})` : ''}`;
  }
}
