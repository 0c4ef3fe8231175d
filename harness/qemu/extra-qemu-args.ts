// Raw QEMU arguments a user adds: passed through as given, except options the harness itself owns, whose
// second copy would break the console, QMP or the accelerator choice in ways QEMU explains badly.
import { UsageError } from '../errors.ts';

/** Options the harness sets, with the harness option to use instead. */
const ownedOptions: Readonly<Record<string, string>> = {
  '-serial': 'the serial console is the harness\'s transport; leave it to the harness',
  '-monitor': 'the harness drives QEMU over QMP; use QMP through vm.qemu.qmp',
  '-qmp': 'the harness drives QEMU over its own QMP socket; use vm.qemu.qmp',
  '-nographic': 'the harness chooses the display; leave it to the harness',
  '-daemonize': 'the harness must own QEMU\'s process to stop it',
  '-pidfile': 'the harness writes its own pid file',
  '-accel': 'use --accel (HARNESS_ACCEL) instead',
  '-enable-kvm': 'use --accel kvm instead',
  '-m': 'use --memory (memoryMiB) instead',
  '-smp': 'use --cpus (cpus) instead',
  '-name': 'use --name instead',
  '-no-reboot': 'the harness already passes it',
  '-S': 'the harness already starts QEMU paused and resumes it after subscribing to the console',
};

export function validateExtraQemuArgs(value: unknown, input = 'extraQemuArgs'): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    throw new UsageError(input, `expected a list of strings, got \`${String(value)}\` (${typeof value})`, 'pass e.g. extraQemuArgs: ["-device", "virtio-balloon"]');
  }
  return value.map((arg: unknown, index) => {
    const name = `${input}[${index}]`;
    if (typeof arg !== 'string') throw new UsageError(name, `expected a string, got \`${String(arg)}\` (${typeof arg})`, 'pass each QEMU argument as its own string');
    if (arg.trim() === '') throw new UsageError(name, 'is empty', 'drop the empty argument (each --qemu-arg is one QEMU argument, e.g. --qemu-arg -device --qemu-arg virtio-balloon)');
    // QEMU accepts `--opt` as `-opt`.
    const option = arg.startsWith('--') ? arg.slice(1) : arg;
    const why = Object.hasOwn(ownedOptions, option) ? ownedOptions[option] : undefined;
    if (why) throw new UsageError(`${name} ${arg}`, 'is an option the harness sets itself', why);
    return arg;
  });
}
