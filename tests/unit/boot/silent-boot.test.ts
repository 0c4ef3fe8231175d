import { describe, expect, it } from 'vitest';
import { BootTimeoutError, SerialSilence, diagnoseSilentBoot, watchPromptWait } from '../../../harness/boot/silent-boot.ts';
import { ExpectTimeoutError } from '../../../harness/console/console-errors.ts';

// Screens as vgaText() read them from real boots (see tests/boot/vga.test.ts).
const kernelOnVga = [
  '[    2.155946] Freeing unused kernel image (text/rodata gap) memory: 2040K',
  '[    2.165697] Run /init as init process',
  'pre-nixos: done (storage=plan-only, lan=yes, ssh=yes)',
].join('\n');
const seabiosNoBoot = [
  'SeaBIOS (version 1.16.2-debian-1.16.2-1)',
  '',
  'Booting from DVD/CD...',
  'Boot failed: Could not read from CDROM (code 0004)',
  'No bootable device.',
].join('\n');
const isolinuxMenu = ['          │ Install pre-nixos (VGA only)        │', '', '                          Press [Tab] to edit options'].join('\n');

describe('diagnoseSilentBoot', () => {
  it('a kernel on the screen and none on serial: the image has no console=ttyS0', () => {
    expect(diagnoseSilentBoot(kernelOnVga, false)).toMatchObject({
      cause: 'vga-console-only',
      explanation: 'this image prints to the VGA console only: its kernel command line has no console=ttyS0',
      evidence: ['[    2.155946] Freeing unused kernel image (text/rodata gap) memory: 2040K', '[    2.165697] Run /init as init process'],
    });
  });

  it('quotes the kernel command line when the screen shows it', () => {
    const screen = `[    0.000000] Command line: BOOT_IMAGE=/boot/vmlinuz quiet\n${kernelOnVga}`;
    expect(diagnoseSilentBoot(screen, false)?.evidence).toEqual(['[    0.000000] Command line: BOOT_IMAGE=/boot/vmlinuz quiet']);
  });

  it('no diagnosis about the console when serial showed the kernel too', () => {
    expect(diagnoseSilentBoot(kernelOnVga, true)).toBeUndefined();
  });

  it("SeaBIOS's No bootable device", () => {
    expect(diagnoseSilentBoot(seabiosNoBoot, false)).toMatchObject({
      cause: 'no-bootable-device',
      evidence: ['Boot failed: Could not read from CDROM (code 0004)', 'No bootable device.'],
    });
  });

  it('a bootloader menu waiting on the screen', () => {
    expect(diagnoseSilentBoot(isolinuxMenu, false)?.cause).toBe('bootloader-on-vga-only');
  });

  it('an empty screen explains nothing', () => {
    expect(diagnoseSilentBoot('\n\n', false)).toBeUndefined();
  });
});

describe('BootTimeoutError', () => {
  it('names the cause in the short message and shows the screen, the screenshot and the context', () => {
    const error = new BootTimeoutError({
      kind: 'serial-silent',
      cause: new Error('silent'),
      causeShortMessage: 'silent',
      serialSilentForMs: 20_400,
      serialBytes: 0,
      vga: { method: 'vga-memory', text: kernelOnVga, mode: { kind: 'text', columns: 80, rows: 25, firstCellAddress: 0xb8000, cellsPerRow: 80, cursor: { row: 0, column: 0, visible: true } } },
      vgaError: undefined,
      screenshotPath: '/logs/run/screen.png',
      diagnosis: diagnoseSilentBoot(kernelOnVga, false),
      context: { phase: 'qemu', accel: 'tcg', logPath: '/logs/run' },
      tail: [],
    });
    expect(error.shortMessage).toBe(
      'Serial console printed nothing for 20 s while the boot waited for its prompt: this image prints to the VGA console only: its kernel command line has no console=ttyS0',
    );
    expect(error.message).toContain('The serial console printed nothing at all.');
    expect(error.message).toContain('VGA screen (text mode 80x25, read from video memory):\n  | [    2.155946] Freeing unused kernel');
    expect(error.message).toContain('Screenshot: /logs/run/screen.png');
    expect(error.message).toContain('Fix: add console=ttyS0,115200n8');
    expect([error.kind, error.phase, error.accel, error.diagnosis?.cause]).toEqual(['serial-silent', 'qemu', 'tcg', 'vga-console-only']);
  });
});

describe('watchPromptWait', () => {
  const explain = async (kind: 'prompt-timeout' | 'serial-silent', cause: unknown) => ({ kind, cause }) as unknown as BootTimeoutError;

  it('a serial line silent past the limit ends the wait as serial-silent, though the wait goes on', async () => {
    const never = new Promise<void>(() => undefined);
    const outcome = await watchPromptWait(never, { silenceTimeoutMs: 1000, lastSerialAtMs: () => performance.now() - 5000, explain }).catch((error: unknown) => error);
    expect(outcome).toMatchObject({ kind: 'serial-silent', cause: { silentForMs: expect.any(Number) } });
    expect((outcome as { cause: SerialSilence }).cause).toBeInstanceOf(SerialSilence);
  });

  it('a prompt timeout is explained; other errors pass through; no watch when the limit is 0', async () => {
    const timeout = new ExpectTimeoutError(['# '], 10, 10, [], {});
    expect(await watchPromptWait(Promise.reject(timeout), { silenceTimeoutMs: 0, lastSerialAtMs: () => 0, explain }).catch((error: unknown) => error)).toMatchObject({
      kind: 'prompt-timeout',
      cause: timeout,
    });
    const other = new Error('QEMU exited');
    expect(await watchPromptWait(Promise.reject(other), { silenceTimeoutMs: 0, lastSerialAtMs: () => 0, explain }).catch((error: unknown) => error)).toBe(other);
    await expect(watchPromptWait(Promise.resolve(), { silenceTimeoutMs: 1000, lastSerialAtMs: () => 0, explain })).resolves.toBeUndefined();
  });
});
