// A QEMU tap NIC on a bridge. QEMU itself creates the tap (`-netdev tap,ifname=…`, no scripts) as a
// non-persistent device, so it vanishes with QEMU even after a SIGKILL; the harness then moves it into
// the bridge's namespace and enslaves it, while the guest is still paused.
import { ip } from './ip-command.ts';
import type { BridgeRef } from './bridge-link.ts';

export async function attachTapToBridge(tapName: string, bridge: BridgeRef): Promise<void> {
  if (bridge.netns) await ip(['link', 'set', 'dev', tapName, 'netns', bridge.netns]);
  await ip(['link', 'set', 'dev', tapName, 'master', bridge.name], { netns: bridge.netns });
  await ip(['link', 'set', 'dev', tapName, 'up'], { netns: bridge.netns });
}
