// The systemd flavour's fixture files keep the properties the boot suites rely on: a GRUB menu on the
// serial line with a timeout, the NixOS kernel console setup, a oneshot pre-nixos unit ordered after the
// SMBIOS credential lands, sshd off by default, and a captured boot that carries no private key.
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultRepoRoot } from '../../../harness/boot/default-image.ts';

const repo = defaultRepoRoot();
const fixture = join(repo, 'fixtures', 'systemd');
const read = (path: string): Promise<string> => readFile(join(fixture, path), 'utf8');

/** `Key=value` lines of a unit file, in order, comments and sections dropped. */
function unitValues(text: string, key: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${key}=`))
    .map((line) => line.slice(key.length + 1));
}

describe('systemd fixture', () => {
  it('shows the GRUB menu on serial with a timeout and boots with the NixOS console arguments', async () => {
    const grub = await read('grub.cfg');
    expect(grub).toMatch(/^serial --unit=0 --speed=115200\b/m);
    expect(grub).toMatch(/^terminal_input serial console$/m);
    expect(grub).toMatch(/^terminal_output serial console$/m);
    const timeout = Number(/^set timeout=(\d+)$/m.exec(grub)?.[1]);
    expect(timeout).toBeGreaterThan(0);
    const linuxLines = grub.split('\n').filter((line) => line.trim().startsWith('linux '));
    expect(linuxLines.length).toBeGreaterThanOrEqual(1);
    // The first entry (the default) is the plain boot; the console order puts systemd's status on tty0.
    expect(linuxLines[0]?.trim()).toBe('linux /boot/vmlinuz console=ttyS0,115200n8 console=tty0');
  });

  it('runs pre-nixos as a oneshot that stays active, after the credential and udev', async () => {
    const unit = await read('rootfs/usr/lib/systemd/system/pre-nixos.service');
    expect(unitValues(unit, 'Type')).toEqual(['oneshot']);
    expect(unitValues(unit, 'RemainAfterExit')).toEqual(['yes']);
    const after = unitValues(unit, 'After').join(' ').split(/\s+/);
    expect(after).toEqual(expect.arrayContaining(['systemd-tmpfiles-setup.service', 'systemd-udev-trigger.service']));
    expect(unitValues(unit, 'WantedBy')).toEqual(['multi-user.target']);
  });

  it('logs in root automatically on ttyS0', async () => {
    const dropIn = await read('rootfs/etc/systemd/system/serial-getty@ttyS0.service.d/autologin.conf');
    const execStart = unitValues(dropIn, 'ExecStart');
    expect(execStart[0]).toBe('');
    expect(execStart[1]).toMatch(/agetty .*-f .*--autologin root/);
  });

  it('configures DHCP only for the interface pre-nixos renames to lan', async () => {
    const network = await read('rootfs/etc/systemd/network/20-lan.network');
    expect(unitValues(network, 'Name')).toEqual(['lan']);
    expect(unitValues(network, 'DHCP')).toEqual(['ipv4']);
  });

  it('has scripts that bash parses, and a build that keeps sshd disabled', async () => {
    for (const script of [join(fixture, 'rootfs/usr/lib/pre-nixos/pre-nixos'), join(repo, 'scripts/build-fixture-systemd')]) {
      execFileSync('bash', ['-n', script]);
    }
    const build = await readFile(join(repo, 'scripts/build-fixture-systemd'), 'utf8');
    expect(build).toMatch(/disable ssh\.service/);
    expect(build).toMatch(/mask ssh\.socket/);
    const packages = (await read('packages')).split('\n').filter((line) => line && !line.startsWith('#'));
    expect(packages).toEqual(expect.arrayContaining(['systemd', 'systemd-sysv', 'udev', 'openssh-server']));
  });

  it('sets the NixOS root prompt with an OSC title in the middle', async () => {
    const bashrc = await read('rootfs/root/.bashrc');
    expect(bashrc).toContain('PROMPT_COLOR="1;31m"');
    expect(bashrc).toContain('PS1="\\n\\[\\033[$PROMPT_COLOR\\][\\[\\e]0;\\u@\\h: \\w\\a\\]\\u@\\h:\\w]\\\\$\\[\\033[0m\\] "');
  });

  it('has a captured ISO boot with the menu and the prompt, and no private key in it', async () => {
    const raw = await readFile(join(repo, 'fixtures', 'transcripts', 'systemd-iso-boot.raw'), 'latin1');
    expect(raw).toContain('GNU GRUB');
    expect(raw).toContain('will be executed automatically in 3s');
    expect(raw).toContain('pre-nixos login: root (automatic login)');
    expect(raw).toContain('\x1b[?2004h');
    expect(raw).toContain('\x1b[1;31m[\x1b]0;root@pre-nixos: ~\x07root@pre-nixos:~]#\x1b[0m ');
    expect(raw).not.toMatch(/PRIVATE KEY/);
  });
});
