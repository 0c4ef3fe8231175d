// Security properties of a real run: user images untouched, hostile paths harmless, private run dir and
// key, forwarded ports on loopback only, private key never in boot-logs/.
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootVm } from '../../harness/run/boot-vm.ts';
import { locateDefaultImage } from '../../harness/boot/default-image.ts';
import { runPreNixosChecks } from '../../harness/checks/pre-nixos-suite.ts';

async function sha256(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

/** Local address of a listening TCP socket on `port`, from /proc/net/tcp (hex, little-endian IPv4). */
async function listeningAddresses(port: number): Promise<string[]> {
  const table = await readFile('/proc/net/tcp', 'utf8');
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return table
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields[1]?.endsWith(`:${hexPort}`) && fields[3] === '0A')
    .map((fields) => fields[1]!.split(':')[0]!);
}

let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'security-test-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('security of a real run', () => {
  it('leaves images untouched, survives a hostile path, keeps secrets private and ports on loopback', async () => {
    const image = await locateDefaultImage();
    const hostileDir = join(work, `we ird "q" 'x' $(touch pwned-by-harness) ;echo`);
    await mkdir(hostileDir);
    const iso = join(hostileDir, 'image $(id).iso');
    await copyFile(image.iso, iso);
    const disk = join(hostileDir, "disk 'one'.raw");
    await writeFile(disk, '');
    await truncate(disk, 64 * 1024 * 1024);
    const before = { iso: await sha256(iso), disk: await sha256(disk), defaultIso: await sha256(image.iso) };

    let logDir: string;
    let privateKey: string;
    {
      await using vm = await bootVm({ name: 'security', iso, disks: [disk] });
      logDir = vm.logDir;
      privateKey = vm.sshKey!.privateKey;
      expect((await stat(vm.directories.runDir)).mode & 0o777).toBe(0o700);
      expect((await stat(vm.sshKey!.privateKeyPath)).mode & 0o777).toBe(0o600);
      expect(vm.sshKey!.privateKeyPath.startsWith(vm.directories.runDir)).toBe(true);
      expect(await listeningAddresses(vm.sshPort!)).toEqual(['0100007F']);
      const outcome = await runPreNixosChecks(vm, { keyPresent: true, storage: 'applied' });
      expect(outcome.checks.filter((check) => !check.passed)).toEqual([]);
    }

    for (const folder of [work, hostileDir, process.cwd()]) expect(existsSync(join(folder, 'pwned-by-harness'))).toBe(false);
    expect({ iso: await sha256(iso), disk: await sha256(disk), defaultIso: await sha256(image.iso) }).toEqual(before);
    const keyBody = privateKey.split('\n').filter((line) => line && !line.startsWith('-----')).join('');
    for (const file of await readdir(logDir)) {
      const text = await readFile(join(logDir, file), 'latin1');
      expect(text, file).not.toContain('PRIVATE KEY');
      expect(text.replace(/\s/g, ''), file).not.toContain(keyBody.slice(0, 40));
    }
  }, 400_000);
});
