// The bad-input rows that only a boot (or a running QEMU, or a listening port) can show, through the CLI:
// exit code and message. The library side (error classes and fields) is in failures.test.ts and ipxe.test.ts.
import { execFileSync, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness } from '../support/run-cli.ts';
import { locateDefaultImage } from '../../harness/boot/default-image.ts';
import { ChainServer } from '../../harness/net/chain-server.ts';
import { slirpHttpUrl } from '../../harness/net/tftp-layout.ts';


let dir: string;
let emptyServer: ChainServer;
let busy: Server;
let busyPort: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cli-bad-input-'));
  emptyServer = await ChainServer.start({ root: dir });
  busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  busyPort = (busy.address() as { port: number }).port;
});

afterAll(async () => {
  await emptyServer?.stop();
  busy?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('harness boot: bad input a boot reveals', () => {
  it('a kernel without the initrd it needs → exit 1, says to add --initrd', async () => {
    const image = await locateDefaultImage();
    const result = await harness(['boot', '--kernel', image.kernel]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Kernel panic[\s\S]*needs an initrd[\s\S]*--initrd/);
  }, 300_000);

  it('an iPXE URL that 404s → exit 1 naming the URL', async () => {
    const url = slirpHttpUrl(emptyServer.port, 'missing.ipxe');
    const result = await harness(['boot', '--ipxe-url', url]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(url);
  }, 300_000);

  it('an iPXE URL nobody answers → exit 1 naming the URL', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const closedPort = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    const url = slirpHttpUrl(closedPort, 'boot.ipxe');
    const result = await harness(['boot', '--ipxe-url', url]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(url);
  }, 300_000);

  it('a forwarded port already taken → exit 2', async () => {
    const result = await harness(['boot', '--ssh-port', String(busyPort)]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`--ssh-port ${busyPort}: port ${busyPort} on 127\\.0\\.0\\.1 is already in use`));
  });

  it('a disk image locked by another QEMU → exit 2', async () => {
    const disk = join(dir, 'locked.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', disk, '64M']);
    const other = spawn('qemu-system-x86_64', ['-accel', 'tcg', '-S', '-display', 'none', '-monitor', 'none', '-serial', 'none', '-nodefaults', '-drive', `file=${disk},if=virtio,format=qcow2`], { stdio: 'ignore' });
    try {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const result = await harness(['boot', '--disk', disk]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/locked by another process[\s\S]*Fix: stop the other QEMU/);
    } finally {
      other.kill('SIGKILL');
    }
  }, 60_000);
});
