// `harness boot`: boot an image (the default one when none is given), print phases, checks and the log path.
// Over 300 lines: the flag table of `harness boot` (~40 options with help) and their mapping onto BootOptions.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { renderJunit } from '../report/junit-report.ts';
import { HarnessError, UsageError } from '../errors.ts';
import { L2UnavailableError } from '../net/l2/l2-capability.ts';
import { NetworkSetupError } from '../net/l2/ip-command.ts';
import { MacCollisionError } from '../net/mac-address.ts';
import { nicOptionHelp, parseNicOption } from './nic-option.ts';
import { bootVm } from '../run/boot-vm.ts';
import { type BootOptions, type DiskOption, defaultBootTimeoutMs } from '../boot/boot-options.ts';
import { defaultMemoryMiB } from '../boot/boot-defaults.ts';
import type { PhaseMark } from '../boot/boot-phase.ts';
import type { BootReport } from '../boot/boot-report.ts';
import type { CheckResult } from '../checks/check-result.ts';
import type { BootedVm } from '../boot/booted-vm.ts';
import { DefaultImageMissingError } from '../boot/default-image.ts';
import { DiskOverlayError } from '../boot/disk-overlay.ts';
import { runPreNixosChecks } from '../checks/pre-nixos-suite.ts';
import { parseAcceleratorRequest } from '../qemu/accelerator-probe.ts';
import { validateExtraQemuArgs } from '../qemu/extra-qemu-args.ts';
import { parseTimeoutScale } from '../boot/timeout-scale.ts';
import { defaultKeepRuns, parseKeepRuns } from '../boot/run-retention.ts';
import { type CliIO, ExitCode, type ExitHolder } from './cli-io.ts';
import { formatBootSummary, formatCheckTable } from './boot-output.ts';
import { attachHere, keepRunning } from './attach-session.ts';
import { detachKeyName } from './console-bridge.ts';
import { commandEnvironment, environmentHelp } from './environment-help.ts';
import { colourWanted, liveProgressWanted, ProgressLine } from './progress-line.ts';
import { type Clock, monotonicNowMs } from '../util/clock.ts';

interface BootCommandOptions {
  iso?: string;
  kernel?: string;
  initrd?: string;
  append?: string;
  direct?: boolean;
  fixture?: 'default' | 'systemd';
  ipxe?: boolean;
  ipxeUrl?: string;
  tftp?: boolean;
  disk: string[];
  blankDisk: string[];
  accel?: string;
  sshKey?: string;
  key: boolean;
  expectStorage?: 'plan-only' | 'applied';
  storagePattern?: string;
  expect?: string;
  timeoutMs?: string;
  timeoutScale?: string;
  retries?: string;
  junit?: string;
  memory?: string;
  cpus?: string;
  qemuArg: string[];
  sshPort?: string;
  firmware?: 'bios' | 'uefi';
  keyInjection?: 'auto' | 'cmdline' | 'smbios' | 'fw_cfg' | 'none';
  credential: string[];
  nic: string[];
  l2Fallback?: 'error' | 'user';
  login?: string;
  name?: string;
  logDir?: string;
  keepRuns?: string;
  json?: boolean;
  checks: boolean;
  attach?: boolean;
  keepRunning?: boolean;
  rebootAfterChecks?: boolean;
}

export function registerBootCommand(program: Command, io: CliIO, exit: ExitHolder): void {
  program
    .command('boot')
    .description('Boot an image under QEMU (the default image when none is given) and run the pre-nixos checks.')
    .option('--iso <file>', 'boot this ISO from a virtual CD-ROM')
    .option('--kernel <file>', 'boot this kernel directly')
    .option('--initrd <file>', 'initramfs for --kernel')
    .option('--append <cmdline>', 'kernel command line for --kernel (console=ttyS0 is added when missing)')
    .option('--direct', 'boot the default image as kernel+initrd instead of its ISO')
    .addOption(new Option('--fixture <flavour>', 'which built-in image when none is given: default (busybox) or systemd (Debian 12)').choices(['default', 'systemd']))
    .option('--ipxe', 'network-boot through iPXE: a local HTTP chain of --kernel/--initrd (or the default image)')
    .option('--ipxe-url <url>', 'network-boot through iPXE by chaining this http://, https:// or tftp:// boot URL (this host is 10.0.2.2)')
    .option('--tftp', 'with --ipxe: serve the local chain through QEMU\'s TFTP server instead of HTTP')
    .option('--disk <file>', 'attach a disk image through a qcow2 overlay (repeatable; the file is never written)', collect, [])
    .option('--blank-disk <MiB>', 'attach a new blank disk of this size (repeatable)', collect, [])
    .addOption(new Option('--accel <accel>', 'accelerator: auto (KVM only if a probe shows it works), kvm or tcg').env('HARNESS_ACCEL'))
    .option('--ssh-key <file>', 'private key the image already trusts (no key is injected then)')
    .option('--no-key', 'inject no SSH key: expect the NIC untouched and no SSH (negative run)')
    .addOption(new Option('--expect-storage <status>', 'expected /run/pre-nixos/storage-status').choices(['plan-only', 'applied']))
    .option('--storage-pattern <regex>', 'how the image writes /run/pre-nixos/storage-status: the regex\'s group `state` (else its first group) is the state; ^ and $ match at each line')
    .option('--expect <regex>', 'only wait for this console text (any image; no pre-nixos checks)')
    .option('--timeout-ms <ms>', 'budget for the boot to reach its prompt')
    .option('--timeout-scale <factor|auto>', 'multiply every budget (boot, SSH, checks) by this factor; auto (default, or HARNESS_TIMEOUT_SCALE): by how much slower than a reference TCG runs here')
    .option('--retries <N>', 'boot again up to N times (0 to 10) when the infrastructure failed (QEMU killed or unable to start, host out of memory or disk, port or lock race, silent guest on an overloaded host); never for an image failure')
    .option('--junit <file>', 'also write the run as JUnit XML to this file (retries and the failure class included)')
    .option('--memory <MiB>', `guest memory in MiB (default ${defaultMemoryMiB})`)
    .option('--cpus <N>', 'guest vCPUs (QEMU -smp), 1 to 64')
    .option('--qemu-arg <arg>', 'one extra argument for QEMU, appended to its command line (repeatable: --qemu-arg -device --qemu-arg virtio-balloon)', collect, [])
    .addOption(new Option('--firmware <firmware>', 'bios (SeaBIOS) or uefi (OVMF, q35)').choices(['bios', 'uefi']))
    .addOption(new Option('--key-injection <how>', 'how the run key reaches the guest (auto: kernel command line when the harness owns it, else SMBIOS credential)').choices(['auto', 'cmdline', 'smbios', 'fw_cfg', 'none']))
    .option('--nic <spec>', nicOptionHelp, collect, [])
    .addOption(new Option('--l2-fallback <how>', 'when bridge/macvtap NICs cannot be made here: error (default) or user (user-mode networking, with a warning)').choices(['error', 'user']))
    .option('--credential <name=file>', 'pass a secret to the guest as a systemd credential by SMBIOS (repeatable)', collect, [])
    .option('--login <user[:password]>', 'log in at a login: prompt on the serial console (images without autologin)')
    .option('--ssh-port <port>', 'host port on 127.0.0.1 forwarded to the guest\'s SSH (default: one the OS picks)')
    .option('--name <name>', 'name of the run folder in boot-logs/')
    .addOption(new Option('--log-dir <dir>', 'where run folders go').env('HARNESS_LOG_DIR'))
    .option('--keep-runs <N|all>', `run folders kept in the log dir: this run removes the oldest beyond N (default ${defaultKeepRuns}; also HARNESS_KEEP_RUNS)`)
    .option('--json', 'print one JSON report object instead of the table')
    .option('--no-checks', 'skip the pre-nixos checks: only boot to the prompt')
    .option('--reboot-after-checks', 'run the checks, reboot the guest (its own `reboot`), run them again: reported as two boots')
    .option('--attach', `after the checks, hand the serial console to this terminal (raw mode); ${detachKeyName} detaches and stops the VM`)
    .option('--keep-running', 'after the checks, keep the VM running and serve its console for `harness attach` until stopped')
    .addHelpText('after', `\nOn a terminal a live status line (phase, elapsed, prompt budget) follows the phase lines; with CI set,\nTERM=dumb or stdout not a terminal only the lines are printed.\n${environmentHelp(commandEnvironment.boot)}`)
    .action(async (options: BootCommandOptions) => {
      exit.code = await bootCommand(options, io);
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export async function bootCommand(options: BootCommandOptions, io: CliIO, clock: Clock = monotonicNowMs): Promise<ExitCode> {
  const json = Boolean(options.json);
  let progress: ProgressLine | undefined;
  const print = (text: string): void => {
    if (progress) progress.print(text);
    else if (json) io.stderr(text);
    else io.stdout(text);
  };
  let vm: BootedVm | undefined;
  let report: BootReport | undefined;
  let runFolder: string | undefined;
  try {
    const bootOptions = toBootOptions(options, io);
    const line = new ProgressLine({
      write: (text) => (json ? io.stderr(text) : io.stdout(text)),
      live: liveProgressWanted(io, json),
      colour: colourWanted(io),
      columns: io.columns,
      promptBudgetMs: bootOptions.bootTimeoutMs ?? defaultBootTimeoutMs,
      clock,
    });
    progress = line;
    line.start();
    line.print(`Booting ${describeSource(bootOptions)} …\n`);
    vm = await bootVm(bootOptions, {
      onPhase: (mark: PhaseMark) => line.phaseReached(mark),
      onWarning: (text) => io.stderr(`Warning: ${text}
`),
      onRunFolder: (logDir) => (runFolder = logDir),
      onAttempt: (attempt) => {
        if (attempt > 1) line.print(`Retrying (attempt ${attempt}): the last attempt failed in the infrastructure, not the image.
`);
      },
    });
    // Said as soon as it is known (a TCG run is slow); the summary repeats it with the reason.
    line.print(`Running under ${(vm.accelerator?.accel ?? 'an unknown accelerator').toUpperCase()}.\n`);
    const checksWanted = options.checks && (!bootOptions.waitFor || bootOptions.waitFor === 'shell');
    if (checksWanted) {
      const storage = options.expectStorage ?? (bootOptions.disks?.length ? 'applied' : 'plan-only');
      const storagePattern = options.storagePattern === undefined ? undefined : regexOption('--storage-pattern', options.storagePattern, 'm');
      const expectations = { keyPresent: options.key, storage, ...(storagePattern ? { storageStatus: { pattern: storagePattern } } : {}) };
      await runPreNixosChecks(vm, expectations);
      if (options.rebootAfterChecks) {
        line.print('Rebooting the guest (its own `reboot`) for a second boot …\n');
        await vm.reboot({ how: 'guest' });
        const again = await runPreNixosChecks(vm, expectations);
        labelSecondBoot(again.checks, vm.timeline.bootNumber);
      }
    }
    if (options.attach || options.keepRunning) {
      line.stop();
      const booted = vm;
      if (vm.report.checks.length > 0) print(formatCheckTable(vm.report.checks, io));
      if (options.attach) await attachHere(booted, io, io.stdin!);
      else await keepRunning(booted, io, (text) => io.stderr(text), () => booted.stop());
    }
    await vm.stop();
    line.stop();
    report = vm.report;
    // The exit code agrees with the report (a kept-running VM stopped by a signal is recorded as interrupted).
    // Zero checks is never a pass: only a run that asked for none (--no-checks, --expect) exits 0 on BOOTED/MATCHED.
    const passed = checksWanted ? report.outcome === 'passed' : report.outcome === 'booted' || report.outcome === 'matched';
    await writeJunit(options.junit, report, io);
    if (json) io.stdout(`${JSON.stringify(report, null, 2)}\n`);
    else io.stdout(formatBootSummary(report, io));
    return passed ? ExitCode.ok : ExitCode.failed;
  } catch (error) {
    // stop(error) never throws over `error`; its own cleanup failures are warnings, printed as they happen.
    if (vm) await vm.stop(error);
    progress?.stop();
    // Things only the user can fix before any boot can happen: exit 2, like bad options.
    const usage =
      error instanceof UsageError ||
      error instanceof DefaultImageMissingError ||
      error instanceof DiskOverlayError ||
      error instanceof L2UnavailableError ||
      error instanceof NetworkSetupError ||
      error instanceof MacCollisionError;
    const text = error instanceof Error ? error.message : String(error);
    // A failed boot's report is in its run folder (written at stop, with the failure class).
    const failedReport = vm?.report ?? (runFolder ? await readReport(runFolder) : undefined);
    if (failedReport) await writeJunit(options.junit, failedReport, io).catch((junitError: Error) => io.stderr(`Warning: writing --junit ${options.junit} failed: ${junitError.message}\n`));
    if (json) {
      io.stdout(`${JSON.stringify({ ...(failedReport ?? {}), passed: false, error: { name: (error as Error).name, message: text } }, null, 2)}\n`);
    }
    io.stderr(`${usage ? 'Error' : 'Boot failed'}: ${text}\n`);
    if (!(error instanceof HarnessError) && error instanceof Error && error.stack) io.stderr(`${error.stack}\n`);
    return usage ? ExitCode.usage : ExitCode.failed;
  }
}

function toBootOptions(options: BootCommandOptions, io: CliIO): BootOptions {
  if (options.attach && options.keepRunning) {
    throw new UsageError('--attach with --keep-running', '--attach stops the VM when you detach, --keep-running keeps it', 'use --keep-running, then `harness attach <run>` as often as you like');
  }
  if (options.attach && options.json) {
    throw new UsageError('--attach with --json', 'the attached console and the JSON report would share stdout', 'drop --json: the report is in boot-logs/<run>/report.json');
  }
  if (options.attach && !io.stdin?.isTTY) {
    throw new UsageError(
      '--attach',
      'stdin is not a terminal, so there is no keyboard to hand the console to',
      'run it from an interactive terminal, or boot with --keep-running and run `harness attach <run>` from one',
    );
  }
  const disks: DiskOption[] = [...options.disk];
  for (const size of options.blankDisk) disks.push({ blankMiB: integerOption('--blank-disk', size) });
  const bootOptions: BootOptions = { disks, env: io.env };
  if (options.iso) bootOptions.iso = options.iso;
  if (options.kernel) bootOptions.kernel = options.kernel;
  if (options.initrd) bootOptions.initrd = options.initrd;
  if (options.append !== undefined) bootOptions.append = options.append;
  if (options.fixture) bootOptions.fixture = options.fixture;
  if (options.direct) {
    if (options.iso || options.kernel) throw new UsageError('--direct', 'only applies to the default image', 'drop --direct, or drop --iso/--kernel');
    bootOptions.defaultImageAs = 'kernel';
  }
  if (options.tftp && !options.ipxe) {
    throw new UsageError('--tftp', 'only applies to a local iPXE chain', 'add --ipxe (for --ipxe-url, give a tftp:// URL instead)');
  }
  if (options.ipxe && options.ipxeUrl) {
    throw new UsageError('--ipxe with --ipxe-url', 'two iPXE chains were given', 'use --ipxe for the local chain, or --ipxe-url for a remote one');
  }
  if (options.direct && (options.ipxe || options.ipxeUrl)) {
    throw new UsageError('--direct with --ipxe', '--direct boots the kernel without the network', 'drop --direct: --ipxe already chains the default image\'s kernel+initrd');
  }
  if (options.ipxe) bootOptions.ipxe = options.tftp ? { tftp: true } : true;
  if (options.ipxeUrl !== undefined) bootOptions.ipxe = { url: options.ipxeUrl };
  if (options.accel) bootOptions.accel = parseAcceleratorRequest(options.accel, '--accel');
  if (options.sshKey) bootOptions.sshKeyPath = options.sshKey;
  if (!options.key) bootOptions.keyInjection = 'none';
  if (options.expect) bootOptions.waitFor = regexOption('--expect', options.expect);
  if (options.timeoutMs) bootOptions.bootTimeoutMs = integerOption('--timeout-ms', options.timeoutMs);
  if (options.retries !== undefined) bootOptions.retries = boundedIntegerOption('--retries', options.retries, 0, 10);
  if (options.timeoutScale !== undefined) bootOptions.timeoutScale = parseTimeoutScale(options.timeoutScale, '--timeout-scale');
  if (options.memory) bootOptions.memoryMiB = integerOption('--memory', options.memory);
  if (options.cpus !== undefined) bootOptions.cpus = boundedIntegerOption('--cpus', options.cpus, 1, 64);
  if (options.qemuArg.length > 0) bootOptions.extraQemuArgs = validateExtraQemuArgs(options.qemuArg, '--qemu-arg');
  if (options.firmware) bootOptions.firmware = options.firmware;
  if (options.login) {
    const colon = options.login.indexOf(':');
    bootOptions.login = colon < 0 ? { user: options.login } : { user: options.login.slice(0, colon), password: options.login.slice(colon + 1) };
    if (!bootOptions.login.user) throw new UsageError('--login', 'no user name given', 'pass --login root or --login user:password');
  }
  if (options.keyInjection) {
    if (!options.key) throw new UsageError('--key-injection with --no-key', 'asks both to inject a key and to inject none', 'drop one of them');
    bootOptions.keyInjection = options.keyInjection;
  }
  if (options.credential.length > 0) {
    bootOptions.credentials = {};
    for (const pair of options.credential) {
      const equals = pair.indexOf('=');
      if (equals <= 0) throw new UsageError(`--credential ${pair}`, 'expected NAME=FILE', 'e.g. --credential ssh.authorized_keys.root=./id.pub');
      bootOptions.credentials[pair.slice(0, equals)] = pair.slice(equals + 1);
    }
  }
  if (options.sshPort) bootOptions.sshPort = integerOption('--ssh-port', options.sshPort);
  if (options.nic.length > 0) bootOptions.nics = options.nic.map(parseNicOption);
  if (options.l2Fallback) bootOptions.l2Fallback = options.l2Fallback;
  if (options.name) bootOptions.name = options.name;
  if (options.logDir) bootOptions.logRoot = options.logDir;
  if (options.keepRuns !== undefined) bootOptions.keepRuns = parseKeepRuns(options.keepRuns, '--keep-runs');
  if (options.rebootAfterChecks && (!options.checks || options.expect)) {
    throw new UsageError(
      `--reboot-after-checks with ${options.expect ? '--expect' : '--no-checks'}`,
      'there are no checks to run before and after the reboot',
      'drop one of them: --reboot-after-checks runs the pre-nixos checks in both boots',
    );
  }
  if (options.expect && options.expectStorage) {
    throw new UsageError('--expect with --expect-storage', '--expect skips the pre-nixos checks', 'use one of them');
  }
  if (options.storagePattern !== undefined) {
    if (options.expect || !options.checks) {
      throw new UsageError(`--storage-pattern with ${options.expect ? '--expect' : '--no-checks'}`, 'the pattern is for the storage-status check, which that run skips', 'drop one of them');
    }
    regexOption('--storage-pattern', options.storagePattern, 'm');
  }
  return bootOptions;
}

async function readReport(logDir: string): Promise<BootReport | undefined> {
  return readFile(join(logDir, 'report.json'), 'utf8').then((text) => JSON.parse(text) as BootReport, () => undefined);
}

async function writeJunit(file: string | undefined, report: BootReport, io: CliIO): Promise<void> {
  if (!file) return;
  const path = resolve(io.cwd, file);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, renderJunit([report]));
}

/** The same checks in the next boot: told apart in the table and report by id and title. */
function labelSecondBoot(checks: CheckResult[], boot: number): void {
  for (const check of checks) {
    check.id = `${check.id}@boot${boot}`;
    check.title = `${check.title} (boot ${boot})`;
  }
}

function integerOption(name: string, value: string): number {
  if (!/^-?\d+$/.test(value.trim())) throw new UsageError(name, `expected a whole number, got \`${value}\``, `pass e.g. ${name} 512`);
  return Number(value);
}

function boundedIntegerOption(name: string, value: string, min: number, max: number): number {
  const number = integerOption(name, value);
  if (number < min || number > max) throw new UsageError(name, `expected a whole number from ${min} to ${max}, got \`${value}\``, `pass e.g. ${name} ${min}`);
  return number;
}

function regexOption(name: string, value: string, flags = ''): RegExp {
  try {
    return new RegExp(value, flags);
  } catch (error) {
    throw new UsageError(name, `not a valid regular expression (${(error as Error).message})`, 'fix the pattern (JavaScript RegExp syntax)');
  }
}

function describeSource(options: BootOptions): string {
  if (typeof options.ipxe === 'object' && options.ipxe.url) return `iPXE chain ${options.ipxe.url}`;
  if (options.ipxe) {
    const via = typeof options.ipxe === 'object' && options.ipxe.tftp ? 'TFTP' : 'HTTP';
    return `${options.kernel ? `kernel ${options.kernel}` : 'the default image'} through a local iPXE ${via} chain`;
  }
  if (options.iso) return `ISO ${options.iso}`;
  if (options.kernel) return `kernel ${options.kernel}${options.initrd ? ` + ${options.initrd}` : ''}`;
  return options.defaultImageAs === 'kernel' ? 'the default image (kernel+initrd)' : 'the default image (ISO)';
}
