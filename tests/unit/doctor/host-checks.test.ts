import { hasNetAdmin } from '../../../harness/net/l2/l2-capability.ts';
import { describe, expect, it } from 'vitest';
import {
  cpuCountCheck,
  diskSpaceCheck,
  ipxeRomsCheck,
  memoryCheck,
  memoryLimitFiles,
  parseMemAvailableBytes,
  parseMemoryLimit,
  tapNetworkingCheck,
  vgaOcrCheck,
} from '../../../harness/doctor/checks/host-checks.ts';
import { nodePtyCheck, nodeVersionCheck } from '../../../harness/doctor/checks/node-checks.ts';
import { fakeEnvironment, runCheck, testOptions } from './fake-doctor-environment.ts';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

describe('node.version', () => {
  it.each([
    ['20.20.2', 'pass'],
    ['22.1.0', 'pass'],
    ['20.11.0', 'pass'],
    ['20.10.0', 'fail'],
    ['18.19.1', 'fail'],
  ])('%s → %s', async (nodeVersion, status) => {
    expect((await runCheck(nodeVersionCheck, fakeEnvironment({ nodeVersion }))).status).toBe(status);
  });
});

describe('node.pty', () => {
  it('passes when the pty echoes', async () => {
    expect((await runCheck(nodePtyCheck, fakeEnvironment())).status).toBe('pass');
  });

  it('fails with the load error and a rebuild fix', async () => {
    const env = fakeEnvironment({ pty: { output: '', exitCode: undefined, error: 'node-pty did not load: pty.node: invalid ELF header' } });
    const result = await runCheck(nodePtyCheck, env);
    expect(result).toMatchObject({ status: 'fail', seen: 'node-pty did not load: pty.node: invalid ELF header' });
    expect(result.fix).toContain('npm rebuild node-pty');
  });

  it('fails when the output never arrives', async () => {
    const env = fakeEnvironment({ pty: { output: '', exitCode: 0 } });
    expect((await runCheck(nodePtyCheck, env)).status).toBe('fail');
  });
});

describe('disk.space', () => {
  it.each([
    [80 * GiB, 'pass'],
    [1 * GiB, 'warn'],
    [100 * MiB, 'fail'],
  ])('%d bytes free → %s', async (bytes, status) => {
    const env = fakeEnvironment({ freeBytes: { [testOptions.logDir]: 80 * GiB, [testOptions.cacheDir]: bytes } });
    const result = await runCheck(diskSpaceCheck, env);
    expect(result.status).toBe(status);
    if (status !== 'pass') expect(result.fix).toContain(testOptions.cacheDir);
  });

  it('warns when free space cannot be read', async () => {
    expect((await runCheck(diskSpaceCheck, fakeEnvironment())).status).toBe('warn');
  });
});

describe('memory', () => {
  it.each([
    ['max\n', undefined],
    ['9223372036854771712\n', undefined],
    ['1073741824\n', 1073741824],
    [undefined, undefined],
  ])('parseMemoryLimit(%j) = %j', (text, bytes) => {
    expect(parseMemoryLimit(text)).toBe(bytes);
  });

  it('lists cgroup v2 and v1 limit files, most specific first', () => {
    expect(memoryLimitFiles('0::/user.slice/session-1.scope\n')).toEqual([
      '/sys/fs/cgroup/user.slice/session-1.scope/memory.max',
      '/sys/fs/cgroup/memory.max',
    ]);
    expect(memoryLimitFiles('4:memory:/process_api/abc\n0::/\n')).toEqual([
      '/sys/fs/cgroup/memory/process_api/abc/memory.limit_in_bytes',
      '/sys/fs/cgroup/memory/memory.limit_in_bytes',
      '/sys/fs/cgroup/memory.max',
    ]);
  });

  it('reads MemAvailable in kB', () => {
    expect(parseMemAvailableBytes('MemTotal: 100 kB\nMemAvailable:   2048 kB\n')).toBe(2 * MiB);
  });

  const meminfo = (kB: number) => `MemTotal: 99999999 kB\nMemAvailable: ${kB} kB\n`;
  it.each([
    ['no limit, plenty available', '0::/\n', { '/sys/fs/cgroup/memory.max': 'max\n' }, 24 * 1024 * 1024, 'pass'],
    ['cgroup v2 limit of 1 GiB', '0::/ci\n', { '/sys/fs/cgroup/ci/memory.max': `${GiB}\n` }, 24 * 1024 * 1024, 'warn'],
    ['cgroup v1 limit of 512 MiB', '4:memory:/job\n', { '/sys/fs/cgroup/memory/job/memory.limit_in_bytes': `${512 * MiB}\n` }, 24 * 1024 * 1024, 'fail'],
    ['little MemAvailable', '0::/\n', {}, 600 * 1024, 'fail'],
  ])('%s → %s', async (_name, cgroup, limitFiles, availableKiB, status) => {
    const env = fakeEnvironment({ files: { '/proc/self/cgroup': cgroup, '/proc/meminfo': meminfo(availableKiB), ...limitFiles } });
    expect((await runCheck(memoryCheck, env)).status).toBe(status);
  });

  it('warns when nothing can be read', async () => {
    expect((await runCheck(memoryCheck, fakeEnvironment())).status).toBe('warn');
  });
});

describe('cpu.count', () => {
  it.each([
    [1, 'warn'],
    [2, 'pass'],
    [16, 'pass'],
  ])('%d CPUs → %s', async (cpuCount, status) => {
    expect((await runCheck(cpuCountCheck, fakeEnvironment({ cpuCount }))).status).toBe(status);
  });
});

const l2Executables = { ip: '/usr/sbin/ip', dnsmasq: '/usr/sbin/dnsmasq', ping: '/usr/bin/ping' };

describe('network.tap', () => {
  it.each([
    ['000001fffeffffff', 'CAP_NET_ADMIN held'],
    ['0000000000000000', 'no CAP_NET_ADMIN'],
  ])('reads CapEff %s', (mask, seen) => {
    expect(hasNetAdmin(`Name:\tnode\nCapEff:\t${mask}\n`)).toBe(seen === 'CAP_NET_ADMIN held');
  });

  it('passes with /dev/net/tun and CAP_NET_ADMIN', async () => {
    const env = fakeEnvironment({ stats: { '/dev/net/tun': { kind: 'char-device' } }, files: { '/proc/self/status': 'CapEff:\t000001fffeffffff\n' }, executables: l2Executables });
    expect((await runCheck(tapNetworkingCheck, env)).status).toBe('pass');
  });

  it('warns naming the missing segment tools and their packages', async () => {
    const env = fakeEnvironment({ stats: { '/dev/net/tun': { kind: 'char-device' } }, files: { '/proc/self/status': 'CapEff:\t000001fffeffffff\n' }, executables: { ip: '/usr/sbin/ip' } });
    const result = await runCheck(tapNetworkingCheck, env);
    expect(result.status).toBe('warn');
    expect(result.seen).toContain('missing dnsmasq, ping');
    expect(result.fix).toContain('apt-get install dnsmasq-base iputils-ping');
    expect(result.fix).not.toContain('NET_ADMIN');
  });

  it.each([
    ['without /dev/net/tun', {}, 'CapEff:\t000001fffeffffff\n'],
    ['without CAP_NET_ADMIN', { '/dev/net/tun': { kind: 'char-device' as const } }, 'CapEff:\t0000000000000000\n'],
  ])('only warns %s', async (_name, stats, status) => {
    const env = fakeEnvironment({ stats, files: { '/proc/self/status': status }, executables: l2Executables });
    const result = await runCheck(tapNetworkingCheck, env);
    expect(result.status).toBe('warn');
    expect(result.fix).toContain('--cap-add NET_ADMIN');
  });
});

describe('ipxe.roms', () => {
  it('passes when both ROMs are found in any firmware directory', async () => {
    const env = fakeEnvironment({ stats: { '/usr/lib/ipxe/qemu/efi-virtio.rom': {}, '/usr/share/qemu/efi-e1000.rom': {} } });
    const result = await runCheck(ipxeRomsCheck, env);
    expect(result).toMatchObject({ status: 'pass', seen: '/usr/lib/ipxe/qemu/efi-virtio.rom, /usr/share/qemu/efi-e1000.rom' });
  });

  it('warns naming the missing ROM and the package', async () => {
    const env = fakeEnvironment({ stats: { '/usr/lib/ipxe/qemu/efi-virtio.rom': {} } });
    const result = await runCheck(ipxeRomsCheck, env);
    expect(result.status).toBe('warn');
    expect(result.seen).toContain('missing efi-e1000.rom');
    expect(result.fix).toContain('ipxe-qemu');
  });
});

describe('vga.ocr', () => {
  it('passes with tesseract on PATH', async () => {
    const result = await runCheck(vgaOcrCheck, fakeEnvironment({ executables: { tesseract: '/usr/bin/tesseract' } }));
    expect(result).toMatchObject({ status: 'pass', seen: '/usr/bin/tesseract' });
  });

  it('warns without it, naming the package', async () => {
    const result = await runCheck(vgaOcrCheck, fakeEnvironment({}));
    expect(result.status).toBe('warn');
    expect(result.fix).toContain('tesseract-ocr');
  });
});
