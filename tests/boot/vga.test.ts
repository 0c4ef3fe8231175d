// The VGA screen as text: read exactly from video memory in text mode, and what it says when the serial
// console is silent. The ISOs are built per test from the default image's kernel and initrd.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootVm } from '../../harness/run/boot-vm.ts';
import { BootTimeoutError } from '../../harness/boot/silent-boot.ts';
import { type TestIsos, testIsos } from './support/isolinux-iso.ts';

let isos: TestIsos;
beforeAll(async () => {
  isos = await testIsos();
});
afterAll(async () => {
  await isos?.[Symbol.asyncDispose]();
});

/** isolinux with a text menu and no SERIAL line: the menu is on the VGA screen only. */
const vgaOnlyMenu = `UI menu.c32
PROMPT 0
TIMEOUT 0
MENU TITLE boot-harness VGA test menu
LABEL pre-nixos
  MENU LABEL Install pre-nixos (VGA only)
  KERNEL /boot/vmlinuz
  INITRD /boot/initrd.img
  APPEND console=tty0
`;

describe('vm.vgaText()', () => {
  it('reads a text-mode screen exactly from video memory: the isolinux menu with serial off', async () => {
    const iso = await isos.build('vga-menu', { config: vgaOnlyMenu, modules: ['menu.c32', 'libutil.c32', 'libcom32.c32'] });
    await using vm = await bootVm({ name: 'vga-text-menu', iso, waitFor: 'nothing' });
    // The line menu.c32 draws last, so the whole menu is on the screen.
    const menu = await vm.expectVga('Press [Tab] to edit options', { timeoutMs: 60_000 });
    expect(menu.screen.method).toBe('vga-memory');
    expect(menu.screen.mode).toMatchObject({ kind: 'text', columns: 80, rows: 25 });
    const rows = menu.screen.text.split('\n');
    expect(rows[1]).toBe('          │                boot-harness VGA test menu                │');
    expect(rows[3]).toBe('          │ Install pre-nixos (VGA only)                             │');
    expect(rows[17]).toBe('                          Press [Tab] to edit options');
    // The highlighted entry is told apart by its attribute, as a person sees it.
    const attribute = (row: number, column: number) => menu.screen.attributes![row * 80 + column];
    expect(attribute(3, 13)).not.toBe(attribute(4, 13));
    // None of it reached the serial line.
    expect(vm.console.tail().join('\n')).not.toContain('Install pre-nixos');

    // Enter on the emulated keyboard: the kernel then writes to the VGA console, which scrolls in hardware.
    await vm.qemu.qmp.execute('send-key', { keys: [{ type: 'qcode', data: 'ret' }] });
    const kernel = await vm.expectVga(/Run \/init as init process/, { timeoutMs: 120_000 });
    expect(kernel.screen.method).toBe('vga-memory');
    expect(kernel.screen.text).toMatch(/^\[\s*\d+\.\d{6}\] /m);
  }, 300_000);
});

/**
 * isolinux's vesamenu: a 640x480 graphics-mode menu. White on black without the default shadows and
 * gradient, which no OCR reads well (nor does a person, much).
 */
const graphicsMenu = [
  'UI vesamenu.c32',
  'PROMPT 0',
  'TIMEOUT 0',
  'MENU BACKGROUND #ff000000',
  ...['screen', 'border', 'title', 'unsel', 'tabmsg'].map((element) => `MENU COLOR ${element} 0 #ffffffff #ff000000 none`),
  'MENU COLOR sel 0 #ff000000 #ffffffff none',
  'MENU TITLE boot-harness graphics menu',
  'LABEL pre-nixos',
  '  MENU LABEL Install pre-nixos (framebuffer)',
  '  KERNEL /boot/vmlinuz',
  '  INITRD /boot/initrd.img',
  '',
].join('\n');

describe('vm.vgaText() in a graphics mode', () => {
  it('falls back to OCR of the screendump and says so: the isolinux vesamenu', async () => {
    const iso = await isos.build('vga-vesamenu', { config: graphicsMenu, modules: ['vesamenu.c32', 'libutil.c32', 'libcom32.c32'] });
    await using vm = await bootVm({ name: 'vga-ocr-vesamenu', iso, waitFor: 'nothing' });
    const menu = await vm.expectVga('Press [Tab] to edit options', { timeoutMs: 120_000 });
    expect(menu.screen.method).toBe('ocr');
    expect(menu.screen.mode).toEqual({ kind: 'graphics', reason: 'a VBE (linear framebuffer) mode is set' });
    expect(menu.screen.text).toMatch(/boot-harness graphics menu/);
    expect(menu.screen.text).toMatch(/Install pre-nixos \(framebuffer\)/);
  }, 300_000);

  it('reads a GRUB gfxterm menu by OCR', async () => {
    const iso = await isos.buildGrub(
      'vga-gfxterm',
      [
        'insmod all_video',
        'insmod gfxterm',
        'loadfont unicode',
        'set gfxmode=640x480',
        'terminal_output gfxterm',
        'set timeout=-1',
        "menuentry 'Install pre-nixos (gfxterm)' {",
        '  linux /boot/vmlinuz',
        '  initrd /boot/initrd.img',
        '}',
        '',
      ].join('\n'),
    );
    await using vm = await bootVm({ name: 'vga-ocr-gfxterm', iso, waitFor: 'nothing' });
    // GRUB's help text is drawn below the entries, so the whole menu is there when it is.
    const menu = await vm.expectVga(/to edit the commands/, { timeoutMs: 120_000 });
    expect(menu.screen.method).toBe('ocr');
    expect(menu.screen.mode.kind).toBe('graphics');
    expect(menu.screen.text).toMatch(/GNU GRUB/);
    expect(menu.screen.text).toMatch(/Install pre-nixos/);
    // Nothing of it on serial: GRUB draws only on the screen here.
    expect(vm.console.tail().join('\n')).not.toContain('GNU GRUB');
  }, 300_000);
});

describe('a silent serial console is explained by the VGA screen', () => {
  it('an ISO whose kernel line has no console=ttyS0: named as the cause, with the screen and the PNG', async () => {
    const iso = await isos.build('no-serial-console', {
      // The stock kernel line of many images: a console on the screen only (and a shell there).
      config: 'DEFAULT linux\nPROMPT 0\nTIMEOUT 0\nLABEL linux\n  KERNEL /boot/vmlinuz\n  INITRD /boot/initrd.img\n  APPEND rdinit=/bin/sh\n',
    });
    // A fixed scale: the message names the budget, which the auto scale would stretch on a busy host.
    const error = await bootVm({ name: 'vga-no-ttyS0', iso, serialSilenceTimeoutMs: 20_000, timeoutScale: 1 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BootTimeoutError);
    const timeout = error as BootTimeoutError;
    expect(timeout.kind).toBe('serial-silent');
    expect(timeout.serialBytes).toBe(0);
    expect(timeout.shortMessage).toBe(
      'Serial console printed nothing for 20 s while the boot waited for its prompt: this image prints to the VGA console only: its kernel command line has no console=ttyS0',
    );
    expect(timeout.diagnosis?.cause).toBe('vga-console-only');
    expect(timeout.vga?.method).toBe('vga-memory');
    expect(timeout.vga?.text).toMatch(/Run \/bin\/sh as init process/);
    expect(timeout.message).toMatch(/VGA screen \(text mode 80x25, read from video memory\):\n {2}\| /);
    expect(timeout.screenshotPath).toMatch(/screen\.png$/);
    expect(existsSync(timeout.screenshotPath!)).toBe(true);
    expect(timeout.message).toContain(`Screenshot: ${timeout.screenshotPath}`);
  }, 300_000);

  it("SeaBIOS's \"No bootable device\" screen explains a prompt timeout", async () => {
    const iso = await isos.build('not-bootable', { bootable: false });
    const error = await bootVm({ name: 'vga-no-boot', iso, bootTimeoutMs: 25_000 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BootTimeoutError);
    const timeout = error as BootTimeoutError;
    expect(timeout.kind).toBe('prompt-timeout');
    expect(timeout.shortMessage).toMatch(/^Console pattern .* not seen after \d+ ms: the firmware found nothing to boot/);
    expect(timeout.diagnosis?.cause).toBe('no-bootable-device');
    expect(timeout.diagnosis?.evidence).toContain('No bootable device.');
    expect(timeout.vga?.text).toContain('SeaBIOS');
    expect(timeout.message).toContain('The serial console printed nothing at all.');
  }, 300_000);
});
