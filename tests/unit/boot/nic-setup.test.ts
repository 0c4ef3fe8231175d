// The fallback decision, without touching the host's networking: the capability probe is injected.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { prepareNics } from '../../../harness/boot/nic-setup.ts';
import type { NicPlan } from '../../../harness/boot/boot-options.ts';
import { L2UnavailableError } from '../../../harness/net/l2/l2-capability.ts';
import type { UserNic } from '../../../harness/qemu/vm-spec.ts';

let runDir: string;
beforeEach(async () => {
  runDir = await mkdtemp(join(tmpdir(), 'nic-setup-test-'));
});
afterEach(async () => {
  await rm(runDir, { recursive: true, force: true });
});

const userNic = (mac: string | undefined): UserNic => ({ mode: 'user', model: 'virtio-net-pci', optionRom: false, hostForwards: [], macAddress: mac });
const missing = async () => ({ usable: false, missing: ['CAP_NET_ADMIN (this process may not create or attach network interfaces)'] });
const bridgePlan: NicPlan = { mode: 'bridge', bridge: 'br-lab', netns: undefined, createBridge: false, mac: '02:aa:bb:cc:dd:01', model: 'virtio-net-pci' };
const macvtapPlan: NicPlan = { mode: 'macvtap', link: 'eth9', netns: 'lab', mac: '02:aa:bb:cc:dd:02', model: 'virtio-net-pci' };

describe('prepareNics without L2 capability', () => {
  it('fails before QEMU with what is missing and both fixes, by default', async () => {
    const error = await prepareNics([bridgePlan], 'error', { vmName: 'vm', runDir, userNic, probe: missing }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(L2UnavailableError);
    expect((error as L2UnavailableError).missing[0]).toMatch(/CAP_NET_ADMIN/);
    expect((error as L2UnavailableError).message).toMatch(/bridge networking needs/);
    expect((error as L2UnavailableError).message).toMatch(/--cap-add NET_ADMIN/);
    expect((error as L2UnavailableError).message).toMatch(/l2Fallback: "user"/);
  });

  it('with the user fallback: one user-mode NIC in the first L2 NIC\'s place, and a warning naming what was replaced', async () => {
    const prepared = await prepareNics([bridgePlan, macvtapPlan], 'user', { vmName: 'vm', runDir, userNic, probe: missing });
    expect(prepared.nics.map((nic) => nic.mode)).toEqual(['user']);
    expect(prepared.records).toEqual([{ index: 0, mode: 'user', mac: undefined, replaced: 'bridge NIC on br-lab' }]);
    expect(prepared.warnings).toHaveLength(1);
    expect(prepared.warnings[0]).toMatch(/CAP_NET_ADMIN/);
    expect(prepared.warnings[0]).toMatch(/bridge NIC on br-lab, macvtap NIC on eth9 \(netns lab\) replaced by user-mode networking/);
    await prepared.release();
  });

  it('keeps an existing user-mode NIC and only drops the L2 ones', async () => {
    const prepared = await prepareNics([{ mode: 'user', mac: undefined }, macvtapPlan], 'user', { vmName: 'vm', runDir, userNic, probe: missing });
    expect(prepared.nics).toHaveLength(1);
    expect(prepared.records[0]).toEqual({ index: 0, mode: 'user', mac: undefined });
    await prepared.release();
  });

  it('user-mode only needs no probe at all', async () => {
    let probed = false;
    const prepared = await prepareNics([{ mode: 'user', mac: '52:54:00:00:00:09' }], 'error', {
      vmName: 'vm',
      runDir,
      userNic,
      probe: async () => {
        probed = true;
        return { usable: false, missing: ['x'] };
      },
    });
    expect(probed).toBe(false);
    expect(prepared.nics[0]).toMatchObject({ mode: 'user', macAddress: '52:54:00:00:00:09' });
    await prepared.release();
  });
});
