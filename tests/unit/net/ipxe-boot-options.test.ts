// The iPXE options at the boot boundary (resolveBootOptions and `harness boot`): good input becomes a plan,
// bad input a UsageError naming the option and the fix. No QEMU is started.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type BootOptions, resolveBootOptions, validateIpxeUrl } from '../../../harness/boot/boot-options.ts';
import type { CliIO } from '../../../harness/cli/cli-io.ts';
import { main } from '../../../harness/cli/main.ts';
import { UsageError } from '../../../harness/errors.ts';

let dir: string;
let kernel: string;
const env = { HARNESS_CACHE_DIR: '/nonexistent-cache', PATH: process.env.PATH };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipxe-options-test-'));
  kernel = join(dir, 'vmlinuz');
  const kernelBytes = Buffer.alloc(0x400);
  kernelBytes.write('HdrS', 0x202, 'latin1');
  await writeFile(kernel, kernelBytes);
});

describe('validateIpxeUrl', () => {
  it.each(['http://10.0.2.2:8080/boot.ipxe', 'https://netboot.example.org/boot.ipxe', 'tftp://10.0.2.2/boot.ipxe'])('accepts %s', (url) => {
    expect(validateIpxeUrl(url)).toBe(url);
  });

  it.each([
    ['ftp://10.0.2.2/boot.ipxe', /expected an http, https or tftp URL, got `ftp`/],
    ['file:///boot.ipxe', /got `file`/],
    ['boot.ipxe', /expected an absolute http:\/\/, https:\/\/ or tftp:\/\/ URL/],
    ['http://127.0.0.1:8080/boot.ipxe', /`127\.0\.0\.1` is the guest itself[\s\S]*http:\/\/10\.0\.2\.2:8080\/boot\.ipxe/],
    ['http://localhost/boot.ipxe', /`localhost` is the guest itself/],
    ['http://10.0.2.2/a b.ipxe', /cannot contain white space/],
  ])('refuses %s', (url, message) => {
    const error = (() => {
      try {
        validateIpxeUrl(url);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).input).toBe('--ipxe-url');
    expect((error as UsageError).message).toMatch(message);
  });
});

describe('resolveBootOptions with ipxe', () => {
  it('a local HTTP chain of a given kernel puts the key on its command line', async () => {
    const plan = await resolveBootOptions({ ipxe: true, kernel, append: 'quiet', env, qemuBinary: '/bin/true' });
    expect(plan.source).toEqual({ kind: 'ipxe', mode: 'http', kernel, initrd: undefined, append: 'console=ttyS0,115200n8 quiet', isDefaultImage: false });
    expect(plan.keyInjection).toBe('cmdline');
    expect(plan.name).toBe('ipxe-http');
  });

  it('a TFTP chain', async () => {
    const plan = await resolveBootOptions({ ipxe: { tftp: true }, kernel, env, qemuBinary: '/bin/true' });
    expect(plan.source).toMatchObject({ kind: 'ipxe', mode: 'tftp' });
  });

  it('a remote chain sends the key by SMBIOS credential', async () => {
    const plan = await resolveBootOptions({ ipxe: { url: 'http://10.0.2.2:9/boot.ipxe' }, env, qemuBinary: '/bin/true' });
    expect(plan.source).toEqual({ kind: 'ipxe', mode: 'remote', url: 'http://10.0.2.2:9/boot.ipxe', isDefaultImage: false });
    expect(plan.keyInjection).toBe('smbios');
    expect(plan.name).toBe('ipxe-remote');
  });

  const rows: [string, () => BootOptions, RegExp][] = [
    ['an ISO', () => ({ ipxe: true, iso: join(dir, 'x.iso') }), /--iso with --ipxe: an ISO cannot be chained/],
    ['a remote URL with a kernel', () => ({ ipxe: { url: 'http://10.0.2.2/b.ipxe' }, kernel }), /a remote chain brings its own kernel/],
    ['a remote URL with --tftp', () => ({ ipxe: { url: 'http://10.0.2.2/b.ipxe', tftp: true } }), /give a tftp:\/\/ URL/],
    ['a bad URL', () => ({ ipxe: { url: 'gopher://10.0.2.2/b' } }), /--ipxe-url: expected an http, https or tftp URL/],
    ['no network', () => ({ ipxe: true, kernel, network: false }), /an iPXE chain boots over the network/],
    ['the key on a remote chain\'s command line', () => ({ ipxe: { url: 'http://10.0.2.2/b.ipxe' }, keyInjection: 'cmdline' }), /not under the harness's control/],
  ];
  it.each(rows)('refuses %s', async (_title, options, message) => {
    await expect(resolveBootOptions({ env, qemuBinary: '/bin/true', ...options() })).rejects.toThrow(message);
    await expect(resolveBootOptions({ env, qemuBinary: '/bin/true', ...options() })).rejects.toBeInstanceOf(UsageError);
  });
});

describe('harness boot: iPXE flags', () => {
  async function harness(args: string[]) {
    let stderr = '';
    const io: CliIO = { stdout: () => undefined, stderr: (text) => (stderr += text), isTTY: false, env, cwd: dir };
    return { code: await main(args, io), stderr };
  }

  it.each([
    [['--tftp'], /--tftp: only applies to a local iPXE chain/],
    [['--ipxe', '--ipxe-url', 'http://10.0.2.2/b.ipxe'], /two iPXE chains were given/],
    [['--ipxe', '--direct'], /--direct with --ipxe/],
    [['--ipxe-url', 'ftp://10.0.2.2/b.ipxe'], /--ipxe-url: expected an http, https or tftp URL, got `ftp`/],
    [['--ipxe-url', 'http://127.0.0.1:8080/b.ipxe'], /is the guest itself/],
  ])('%j exits 2 with the reason', async (args, message) => {
    const { code, stderr } = await harness(['boot', ...args]);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });
});
