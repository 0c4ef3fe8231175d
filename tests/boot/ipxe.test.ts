// Real iPXE chain boots of the default image under QEMU (TCG here): local HTTP chain, TFTP, a remote boot
// URL (a second loopback server standing in for a production netboot server), and failures that end fast.
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootVm } from '../../harness/run/boot-vm.ts';
import type { BootOptions } from '../../harness/boot/boot-options.ts';
import type { BootHooks } from '../../harness/boot/booted-vm.ts';
import { locateDefaultImage } from '../../harness/boot/default-image.ts';
import { IpxeChainError } from '../../harness/boot/ipxe-chain.ts';
import { runPreNixosChecks } from '../../harness/checks/pre-nixos-suite.ts';
import { ChainServer } from '../../harness/net/chain-server.ts';
import { renderIpxeScript } from '../../harness/net/ipxe-script.ts';
import { slirpHttpUrl } from '../../harness/net/tftp-layout.ts';

// TCG on a shared 2-core machine: generous, and never a wall-clock assertion.
const bootTestTimeoutMs = 400_000;
const allChecks = ['system-running', 'unit-pre-nixos', 'nic-renamed', 'dhcp-lease', 'ssh-reachable', 'storage-status'];

/** The stand-in for a remote netboot server: its own loopback server and folder, with its own script. */
let remoteDir: string;
let remote: ChainServer;

beforeAll(async () => {
  const image = await locateDefaultImage();
  remoteDir = await mkdtemp(join(tmpdir(), 'ipxe-remote-'));
  await copyFile(image.kernel, join(remoteDir, 'vmlinuz'));
  await copyFile(image.initrd, join(remoteDir, 'initrd.img'));
  remote = await ChainServer.start({ root: remoteDir });
  const url = (name: string) => slirpHttpUrl(remote.port, name);
  // No key on this command line: a remote chain is not the harness's; the key goes by SMBIOS credential.
  await writeFile(join(remoteDir, 'boot.ipxe'), renderIpxeScript({ kernelUrl: url('vmlinuz'), initrdUrl: url('initrd.img'), append: '' }));
  await writeFile(join(remoteDir, 'no-initrd.ipxe'), renderIpxeScript({ kernelUrl: url('vmlinuz'), initrdUrl: url('missing-initrd.img'), append: '' }));
});

afterAll(async () => {
  await remote?.stop();
  if (remoteDir) await rm(remoteDir, { recursive: true, force: true });
});

interface ChainCase {
  title: string;
  options: () => BootOptions;
  mode: 'http' | 'tftp' | 'remote';
  /** Paths the local chain server must have served, in order. */
  localRequests: string[];
  /** Paths the stand-in remote must have served, in order. */
  remoteRequests: string[];
}

const cases: ChainCase[] = [
  {
    title: 'default image through the local HTTP chain: all pre-nixos checks pass',
    options: () => ({ name: 'suite-ipxe-http', ipxe: true }),
    mode: 'http',
    localRequests: ['/boot.ipxe', '/vmlinuz', '/initrd.img'],
    remoteRequests: [],
  },
  {
    title: 'UEFI (OVMF) firmware, local HTTP chain: all pre-nixos checks pass',
    options: () => ({ name: 'suite-ipxe-uefi', ipxe: true, firmware: 'uefi' }),
    mode: 'http',
    localRequests: ['/boot.ipxe', '/vmlinuz', '/initrd.img'],
    remoteRequests: [],
  },
  {
    title: 'default image through slirp TFTP: all pre-nixos checks pass',
    options: () => ({ name: 'suite-ipxe-tftp', ipxe: { tftp: true } }),
    mode: 'tftp',
    localRequests: [],
    remoteRequests: [],
  },
  {
    title: 'remote boot URL (stand-in server through slirp), key by SMBIOS: all pre-nixos checks pass',
    options: () => ({ name: 'suite-ipxe-remote', ipxe: { url: `${slirpHttpUrl(remote.port, 'boot.ipxe')}` } }),
    mode: 'remote',
    localRequests: [],
    remoteRequests: ['/boot.ipxe', '/vmlinuz', '/initrd.img'],
  },
];

describe('iPXE chain boots', () => {
  it.each(cases)('$title', async ({ options, mode, localRequests, remoteRequests }) => {
    const remoteBefore = remote.requests.length;
    await using vm = await bootVm(options());
    for (const phase of ['ipxe', 'ipxe-dhcp', 'ipxe-script', 'ipxe-kernel', 'ipxe-initrd', 'kernel'] as const) {
      expect(vm.timeline.reached(phase), `phase ${phase}`).toBe(true);
    }
    expect(vm.report.ipxe?.mode).toBe(mode);
    expect(vm.report.ipxe?.requests.map((request) => request.path)).toEqual(localRequests);
    for (const request of vm.report.ipxe?.requests ?? []) expect(request.status).toBe(200);
    expect(remote.requests.slice(remoteBefore).map((request) => `${request.status} ${request.path}`)).toEqual(remoteRequests.map((path) => `200 ${path}`));
    expect(vm.report.qemu.argv).toEqual(expect.arrayContaining(['-boot', 'order=n', '-nographic']));
    expect(vm.report.qemu.argv.join(' ')).not.toMatch(/romfile=/);

    const outcome = await runPreNixosChecks(vm, { keyPresent: true, storage: 'plan-only' });
    expect(outcome.checks.map((check) => check.id)).toEqual(allChecks);
    const failures = outcome.checks.filter((check) => !check.passed).map((check) => `${check.id}: ${check.verdict}`);
    expect(failures, `service log:\n${outcome.serviceLog}`).toEqual([]);
  }, bootTestTimeoutMs);
});

async function bootFailure(options: BootOptions, hooks: BootHooks = {}): Promise<unknown> {
  return bootVm({ bootTimeoutMs: 120_000, ...options }, hooks).then(
    async (vm) => {
      await vm.stop();
      return undefined;
    },
    (error: unknown) => error,
  );
}

describe('iPXE chain failures end the boot with the URL and what iPXE said', () => {
  it('a 404 on the initrd of the local chain', async () => {
    const error = await bootFailure({ name: 'suite-ipxe-404-local', ipxe: true }, { onIpxeChain: (chain) => rm(join(chain.root, 'initrd.img')) });
    expect(error).toBeInstanceOf(IpxeChainError);
    const chainError = error as IpxeChainError;
    expect(chainError.url).toMatch(/^http:\/\/10\.0\.2\.2:\d+\/initrd\.img$/);
    expect(chainError.ipxeSaid).toMatch(/No such file or directory/);
    expect(chainError.shortMessage).toContain(chainError.url);
    expect(chainError.requests.map((request) => `${request.status} ${request.path}`)).toEqual(['200 /boot.ipxe', '200 /vmlinuz', '404 /initrd.img']);
  }, bootTestTimeoutMs);

  it('a 404 on the initrd behind a remote boot URL', async () => {
    const error = await bootFailure({ name: 'suite-ipxe-404-remote', ipxe: { url: slirpHttpUrl(remote.port, 'no-initrd.ipxe') } });
    expect(error).toBeInstanceOf(IpxeChainError);
    const chainError = error as IpxeChainError;
    expect(chainError.url).toBe(slirpHttpUrl(remote.port, 'missing-initrd.img'));
    expect(chainError.ipxeSaid).toMatch(/No such file or directory/);
    expect(chainError.message).toContain(chainError.url);
  }, bootTestTimeoutMs);

  it('an unreachable boot URL', async () => {
    // A port that was just listening and is closed now: slirp resets the guest's connection (iPXE: "Connection reset").
    const closed = await ChainServer.start({ root: remoteDir });
    const port = closed.port;
    await closed.stop();
    const url = slirpHttpUrl(port, 'boot.ipxe');
    const error = await bootFailure({ name: 'suite-ipxe-unreachable', ipxe: { url } });
    expect(error).toBeInstanceOf(IpxeChainError);
    const chainError = error as IpxeChainError;
    expect(chainError.url).toBe(url);
    expect(chainError.ipxeSaid).toMatch(/Connection (reset|refused|timed out)/);
    expect(chainError.message).toContain(url);
  }, bootTestTimeoutMs);
});
