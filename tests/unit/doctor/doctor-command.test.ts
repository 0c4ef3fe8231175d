import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerDoctorCommand } from '../../../harness/cli/doctor-command.ts';
import type { CliIO } from '../../../harness/cli/cli-io.ts';
import { fixtureCommands, fixtureFiles, fixtureHostPackages } from '../../../harness/doctor/checks/fixture-checks.ts';
import { fakeEnvironment, type FakeSetup } from './fake-doctor-environment.ts';

const qemu = '/usr/bin/qemu-system-x86_64';
const usernet = '  TCP[HOST_FORWARD]  12       127.0.0.1 38559       10.0.2.15    22     0     0\n';

function healthyHost(cwd: string): FakeSetup {
  return {
    executables: { 'qemu-system-x86_64': qemu, ...Object.fromEntries(Object.keys(fixtureCommands).map((name) => [name, `/usr/bin/${name}`])) },
    commands: {
      [`${qemu} --version`]: { stdout: 'QEMU emulator version 7.2.22 (Debian)\n' },
      [`${qemu} -accel help`]: { stdout: 'Accelerators supported in QEMU binary:\ntcg\nkvm\n' },
      [`${qemu} -device help`]: { stdout: 'name "virtio-net-pci"\nname "virtio-rng-pci"\nname "virtio-serial-pci"\n' },
      [`dpkg-query -W -f=\${Package} \${db:Status-Abbrev}\\n ${fixtureHostPackages.join(' ')}`]: {
        stdout: fixtureHostPackages.map((pkg) => `${pkg} ii \n`).join(''),
      },
    },
    stats: {
      ...Object.fromEntries(Object.keys(fixtureFiles).map((file) => [file, { kind: 'file' as const }])),
      '/usr/lib/ipxe/qemu/efi-virtio.rom': {},
      '/usr/lib/ipxe/qemu/efi-e1000.rom': {},
      '/dev/net/tun': { kind: 'char-device' },
    },
    files: { '/proc/self/cgroup': '0::/\n', '/proc/meminfo': 'MemAvailable: 8000000 kB\n', '/proc/self/status': 'CapEff:\t000001fffeffffff\n' },
    freeBytes: { [join(cwd, 'boot-logs')]: 50 * 1024 ** 3, [join(cwd, '.cache')]: 50 * 1024 ** 3 },
    qemu: () => ({ started: true, answers: { 'query-status': { status: 'prelaunch' }, 'hmp info usernet': usernet } }),
  };
}

let cwd: string;
beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'doctor-command-'));
});
afterEach(async () => {
  await rm(cwd, { recursive: true, force: true });
});

async function runCli(argv: string[], setup: FakeSetup, env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { stdout: (text) => out.push(text), stderr: (text) => err.push(text), isTTY: false, env, cwd };
  const exit = { code: 0 as 0 | 1 | 2 };
  const program = new Command('harness').exitOverride().configureOutput({ writeOut: () => undefined, writeErr: (text) => err.push(text) });
  registerDoctorCommand(program, io, exit, () => fakeEnvironment(setup));
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch {
    exit.code = 2;
  }
  return { code: exit.code, stdout: out.join(''), stderr: err.join('') };
}

describe('harness doctor', () => {
  it('exits 0 on a healthy host, with warnings allowed (no /dev/kvm here)', async () => {
    const result = await runCli(['doctor'], healthyHost(cwd));
    expect(result.stdout).toContain('⚠️  /dev/kvm');
    expect(result.stdout).not.toContain('❌');
    expect(result.code).toBe(0);
  });

  it('exits 1 when a check fails', async () => {
    const setup = healthyHost(cwd);
    delete setup.executables!['qemu-system-x86_64'];
    const result = await runCli(['doctor'], setup);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('❌ qemu-system-x86_64 present');
  });

  it('prints one JSON object with --json', async () => {
    const result = await runCli(['doctor', '--json'], healthyHost(cwd));
    const document = JSON.parse(result.stdout);
    expect(document.ok).toBe(true);
    expect(document.accelerator).toMatchObject({ accel: 'tcg' });
    expect(document.checks.map((check: { id: string }) => check.id)).toContain('network.user');
  });

  it('writes the Markdown audit under HARNESS_LOG_DIR by default', async () => {
    const result = await runCli(['doctor', '--markdown'], healthyHost(cwd), { HARNESS_LOG_DIR: 'audits' });
    const files = await readdir(join(cwd, 'audits'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ-doctor\.md$/);
    expect(result.stdout).toContain(`Markdown audit written to ${join(cwd, 'audits', files[0]!)}`);
    expect(await readFile(join(cwd, 'audits', files[0]!), 'utf8')).toContain('| Condition | Command | Result |');
  });

  it('writes the Markdown audit to a given file', async () => {
    await runCli(['doctor', '--json', '--markdown', 'out/audit.md'], healthyHost(cwd));
    expect(await readFile(join(cwd, 'out', 'audit.md'), 'utf8')).toContain('# Host prerequisite audit');
  });

  it.each([
    [['doctor', '--kernel', '/no/such/kernel'], '--kernel: /no/such/kernel is not a file'],
    [['doctor', '--bogus'], "unknown option '--bogus'"],
  ])('exits 2 on bad usage: %j', async (argv, message) => {
    const result = await runCli(argv, healthyHost(cwd));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });
});
