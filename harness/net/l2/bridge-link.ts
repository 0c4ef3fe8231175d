// The bridges an L2 NIC attaches to: found (never changed) when they exist, made (and recorded for
// removal) only when the caller asked for it.
import { ip, NetworkSetupError } from './ip-command.ts';
import type { L2Ledger } from './l2-ledger.ts';

export interface BridgeRef {
  name: string;
  /** Named network namespace the bridge lives in; the host's own namespace when absent. */
  netns?: string | undefined;
}

export class BridgeMissingError extends NetworkSetupError {
  override readonly name = 'BridgeMissingError';
  constructor(readonly bridge: BridgeRef, seen: string) {
    super(
      ['ip', ...(bridge.netns ? ['-n', bridge.netns] : []), '-d', 'link', 'show', 'dev', bridge.name],
      seen,
      undefined,
      `create it first (\`ip ${bridge.netns ? `-n ${bridge.netns} ` : ''}link add ${bridge.name} type bridge && ip ${bridge.netns ? `-n ${bridge.netns} ` : ''}link set ${bridge.name} up\`), ` +
        'or let the harness make it for this run (`createBridge: true`; on the command line `--nic bridge=NAME,create`)',
    );
  }
}

export function describeBridge(bridge: BridgeRef): string {
  return `bridge ${bridge.name}${bridge.netns ? ` in network namespace ${bridge.netns}` : ''}`;
}

/** True when `name` exists and is a bridge; false when absent; throws when it exists but is something else. */
export async function bridgeExists(bridge: BridgeRef): Promise<boolean> {
  let details: string;
  try {
    details = await ip(['-d', 'link', 'show', 'dev', bridge.name], { netns: bridge.netns });
  } catch (error) {
    if (error instanceof NetworkSetupError && /does not exist|Cannot find device/i.test(error.stderr)) return false;
    throw error;
  }
  if (!/\bbridge\b/.test(details.split('\n').slice(1).join('\n'))) {
    throw new NetworkSetupError(['ip', '-d', 'link', 'show', 'dev', bridge.name], `${bridge.name} exists but is not a bridge`, undefined, 'name a bridge (`ip -d link show type bridge` lists them)');
  }
  return true;
}

/** Makes sure the bridge exists: creates and records it when allowed, else explains how to make it. */
export async function ensureBridge(bridge: BridgeRef, options: { create: boolean; ledger: L2Ledger }): Promise<'found' | 'created'> {
  if (await bridgeExists(bridge)) return 'found';
  if (!options.create) throw new BridgeMissingError(bridge, `${describeBridge(bridge)} does not exist`);
  options.ledger.record({ kind: 'link', name: bridge.name, netns: bridge.netns });
  await ip(['link', 'add', 'name', bridge.name, 'type', 'bridge'], { netns: bridge.netns });
  await ip(['link', 'set', 'dev', bridge.name, 'up'], { netns: bridge.netns });
  return 'created';
}
