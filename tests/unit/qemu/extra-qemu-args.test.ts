// Raw QEMU arguments pass through unchanged, except options whose second copy would break the harness.
import { describe, expect, it } from 'vitest';
import { validateExtraQemuArgs } from '../../../harness/qemu/extra-qemu-args.ts';
import { UsageError } from '../../../harness/errors.ts';

describe('validateExtraQemuArgs', () => {
  it('passes ordinary arguments through in order', () => {
    expect(validateExtraQemuArgs(['-device', 'virtio-balloon-pci', '-rtc', 'base=utc'])).toEqual(['-device', 'virtio-balloon-pci', '-rtc', 'base=utc']);
    expect(validateExtraQemuArgs(undefined)).toEqual([]);
  });

  it.each([
    [['-serial', 'stdio'], /extraQemuArgs\[0\] -serial: is an option the harness sets itself/],
    [['--qmp', 'tcp:0:4444'], /--qmp: is an option the harness sets itself/],
    [['-device', 'e1000', '-m', '2048'], /extraQemuArgs\[2\] -m: .*[\s\S]*Fix: use --memory/],
    [['-enable-kvm'], /Fix: use --accel kvm/],
    [['-device', ''], /extraQemuArgs\[1\]: is empty/],
    [[42], /extraQemuArgs\[0\]: expected a string, got `42` \(number\)/],
    ['-device e1000', /extraQemuArgs: expected a list of strings/],
  ])('refuses %j', (args, message) => {
    expect(() => validateExtraQemuArgs(args)).toThrow(UsageError);
    expect(() => validateExtraQemuArgs(args)).toThrow(message);
  });

  it('names the CLI option when called for it', () => {
    expect(() => validateExtraQemuArgs(['-smp', '2'], '--qemu-arg')).toThrow(/--qemu-arg\[0\] -smp/);
  });
});
