// Acting on the machine: a reboot the run survives (a second boot with its own timeline), a boot-order
// change between boots, an ACPI power-off and a crash. The default image boots in ~10 s under TCG.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootVm } from '../../harness/run/boot-vm.ts';
import type { BootReport } from '../../harness/boot/boot-report.ts';
import { harness } from '../support/run-cli.ts';
import { castOutput } from '../support/cast-output.ts';
import { PowerControlTimeoutError } from '../../harness/boot/power-control.ts';

describe('power and boot control', () => {
  it('vm.reboot(): the guest reboots itself, the run goes on as a second boot with both timelines', async () => {
    const vm = await bootVm({ name: 'power-reboot', defaultImageAs: 'kernel' });
    try {
      const firstBootId = await vm.shell.succeed('cat /proc/sys/kernel/random/boot_id');
      await vm.reboot({ how: 'guest', command: 'reboot' });
      const secondBootId = await vm.shell.succeed('cat /proc/sys/kernel/random/boot_id');
      expect(secondBootId).not.toBe(firstBootId);
      expect(vm.timeline.bootNumber).toBe(2);
      const phases = vm.timeline.all.map((mark) => `${mark.phase}${mark.boot ? `@${mark.boot}` : ''}`);
      expect(phases).toEqual(expect.arrayContaining(['kernel', 'prompt', 'reboot@2', 'kernel@2', 'prompt@2']));
      expect(phases.indexOf('reboot@2')).toBeGreaterThan(phases.indexOf('prompt'));
      // SSH comes back with the same key in the second boot.
      const ssh = await vm.ssh();
      expect((await ssh.execute('cat /proc/sys/kernel/random/boot_id')).stdout).toBe(secondBootId);
    } finally {
      await vm.stop();
    }
    const report = JSON.parse(await readFile(join(vm.logDir, 'report.json'), 'utf8')) as { phases: { phase: string; boot?: number }[] };
    expect(report.phases.filter((mark) => mark.phase === 'kernel').map((mark) => mark.boot ?? 1)).toEqual([1, 2]);
    expect(await readFile(join(vm.logDir, 'report.md'), 'utf8')).toMatch(/\| reboot \|[^\n]*boot 2: guest ran `reboot`/);
    const cast = await readFile(join(vm.logDir, 'console.cast'), 'utf8');
    expect((await castOutput(join(vm.logDir, 'console.cast'))).match(/Linux version \d/g)).toHaveLength(2);
    expect(cast).toMatch(/^\[[\d.]+,"m","boot 2"\]$/m);
  }, 300_000);

  it('vm.reboot({ bootOrder }): from the ISO to the disk, seen on the VGA screen', async () => {
    await using vm = await bootVm({ name: 'power-boot-order', disks: [{ blankMiB: 16 }] });
    await vm.reboot({ how: 'reset', bootOrder: 'c', waitForPrompt: false });
    // The disk is blank: SeaBIOS tries it first and says so on the screen.
    const screen = await vm.expectVga(/Booting from Hard Disk\.\.\.\n.*not a bootable disk/, { timeoutMs: 60_000 });
    expect(screen.screen.text).not.toMatch(/Booting from DVD\/CD[\s\S]*Booting from Hard Disk/);
    const reboot = vm.timeline.all.find((mark) => mark.phase === 'reboot');
    expect(reboot).toMatchObject({ phase: 'reboot', boot: 2, evidence: 'system_reset, boot order c' });
    // After the blank disk SeaBIOS moves on to the ISO, so boot 2 may have reached its bootloader by now.
    expect(vm.timeline.all.slice(vm.timeline.all.indexOf(reboot!)).every((mark) => mark.boot === 2)).toBe(true);
  }, 300_000);

  it('vm.powerOff(): the ACPI power button shuts the guest down within the budget', async () => {
    await using vm = await bootVm({ name: 'power-off', defaultImageAs: 'kernel' });
    await vm.powerOff(60_000);
    expect(vm.qemu.hasExited).toBe(true);
    expect(vm.timeline.all.at(-1)).toMatchObject({ phase: 'stopped', evidence: 'the guest powered off (ACPI power button)' });
  }, 300_000);

  it('vm.powerOff() on a guest that ignores the power button: PowerControlTimeoutError after the budget', async () => {
    // A bare shell as init: nothing handles ACPI events.
    await using vm = await bootVm({ name: 'power-off-ignored', defaultImageAs: 'kernel', append: 'rdinit=/bin/sh', waitFor: /job control turned off[\s\S]*# $/ });
    const error = await vm.powerOff(3000).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PowerControlTimeoutError);
    expect((error as PowerControlTimeoutError).shortMessage).toBe('Guest power-off (QEMU exit after ACPI system_powerdown) not seen after 3000 ms');
    expect((error as Error).message).toMatch(/needs an ACPI daemon[\s\S]*Accelerator: (tcg|kvm)/);
    expect(vm.qemu.hasExited).toBe(false);
  }, 300_000);

  it('vm.crash(): QEMU stops at once, nothing runs in the guest', async () => {
    await using vm = await bootVm({ name: 'power-crash', defaultImageAs: 'kernel' });
    vm.console.sendLine('sleep 30; echo never-printed');
    await vm.crash();
    expect(vm.qemu.hasExited).toBe(true);
    expect(vm.timeline.all.at(-1)).toMatchObject({ phase: 'stopped', evidence: 'crashed: QEMU stopped at once, no shutdown in the guest' });
  }, 300_000);

  it('harness boot --reboot-after-checks: the checks pass in both boots, reported as two boots', async () => {
    const result = await harness(['boot', '--direct', '--reboot-after-checks', '--json', '--name', 'power-cli-reboot']);
    expect(result.stderr).toContain('Rebooting the guest (its own `reboot`) for a second boot');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as BootReport;
    const ids = report.checks.map((check) => check.id);
    expect(ids.filter((id) => id.endsWith('@boot2'))).toEqual(ids.filter((id) => !id.includes('@')).map((id) => `${id}@boot2`));
    expect(report.checks.every((check) => check.passed)).toBe(true);
    expect(report.phases.filter((mark) => mark.phase === 'prompt').map((mark) => mark.boot ?? 1)).toEqual([1, 2]);
  }, 300_000);
});
