// The boundary of `bootVm`: user options in, one validated, fully-resolved plan out. Nothing below
// re-checks for undefined.
import { resolve } from 'node:path';
import { UsageError } from '../errors.ts';
import { parseAcceleratorRequest, type AcceleratorRequest } from '../qemu/accelerator-probe.ts';
import { locateQemuBinary } from '../qemu/qemu-binary.ts';
import type { ShellLogin } from '../console/shell-session.ts';
import { checkImageFile } from './image-file-check.ts';
import { defaultRepoRoot, locateDefaultImage } from './default-image.ts';

export type KeyInjection = 'auto' | 'cmdline' | 'smbios' | 'none';

export type DiskOption = string | { blankMiB: number };

export interface BootOptions {
  /** Names the run folder in boot-logs/. */
  name?: string;
  iso?: string;
  kernel?: string;
  initrd?: string;
  /** Kernel command line for kernel boots (console=ttyS0 is added when missing). */
  append?: string;
  /** Which form of the default image to boot when no image is given (default `iso`). */
  defaultImageAs?: 'iso' | 'kernel';
  disks?: DiskOption[];
  memoryMiB?: number;
  cpus?: number;
  accel?: AcceleratorRequest;
  /** Private key of an image that already trusts it; no key is injected then. */
  sshKeyPath?: string;
  /** How the per-run public key reaches the guest (`auto`: kernel command line for kernel boots, SMBIOS credential otherwise). */
  keyInjection?: KeyInjection;
  network?: boolean;
  /** Wait for a shell (default), for one console pattern only, or for nothing. */
  waitFor?: 'shell' | RegExp | 'nothing';
  /** The image's own prompt before the harness installs its own. */
  promptPattern?: RegExp;
  login?: ShellLogin;
  /** Console patterns that fail the boot at once (default: kernel panic, Oops, emergency mode, …); false turns them off. */
  failurePatterns?: boolean;
  bootTimeoutMs?: number;
  sshTimeoutMs?: number;
  logRoot?: string;
  cacheDir?: string;
  qemuBinary?: string;
  extraQemuArgs?: string[];
  env?: NodeJS.ProcessEnv;
}

export type ResolvedBootSource =
  | { kind: 'iso'; iso: string; isDefaultImage: boolean }
  | { kind: 'kernel'; kernel: string; initrd: string | undefined; append: string; isDefaultImage: boolean };

export interface BootPlan {
  name: string;
  source: ResolvedBootSource;
  /** A kernel to probe KVM with (the image's own, or the default image's). */
  probeKernel: string | undefined;
  disks: ({ kind: 'file'; path: string } | { kind: 'blank'; sizeMiB: number })[];
  memoryMiB: number;
  cpus: number;
  accel: AcceleratorRequest;
  sshKeyPath: string | undefined;
  keyInjection: Exclude<KeyInjection, 'auto'>;
  network: boolean;
  waitFor: 'shell' | RegExp | 'nothing';
  promptPattern: RegExp | undefined;
  login: ShellLogin | undefined;
  failurePatterns: boolean;
  bootTimeoutMs: number;
  sshTimeoutMs: number;
  logRoot: string;
  cacheDir: string;
  qemuBinary: string;
  extraQemuArgs: string[];
}

/** TCG on a busy 2-core machine: a real systemd image needs 40–80 s to its prompt, so budgets are wide. */
export const defaultBootTimeoutMs = 240_000;
export const defaultSshTimeoutMs = 90_000;

export async function resolveBootOptions(options: BootOptions): Promise<BootPlan> {
  const env = options.env ?? process.env;
  const repoRoot = defaultRepoRoot();
  const cacheDir = resolve(options.cacheDir ?? env.HARNESS_CACHE_DIR ?? resolve(repoRoot, '.cache'));
  const logRoot = resolve(options.logRoot ?? env.HARNESS_LOG_DIR ?? resolve(repoRoot, 'boot-logs'));
  const memoryMiB = positiveInteger(options.memoryMiB ?? 512, 'memoryMiB', 64, 65536);
  const cpus = positiveInteger(options.cpus ?? 1, 'cpus', 1, 64);
  const bootTimeoutMs = positiveInteger(options.bootTimeoutMs ?? defaultBootTimeoutMs, 'bootTimeoutMs', 1, 24 * 3600_000);
  const sshTimeoutMs = positiveInteger(options.sshTimeoutMs ?? defaultSshTimeoutMs, 'sshTimeoutMs', 1, 24 * 3600_000);
  const accel = options.accel ?? parseAcceleratorRequest(env.HARNESS_ACCEL || 'auto', 'HARNESS_ACCEL');

  if (options.iso && (options.kernel || options.initrd)) {
    throw new UsageError('--iso with --kernel/--initrd', 'two boot sources were given', 'boot either an ISO or a kernel+initrd, not both');
  }
  if (options.initrd && !options.kernel) {
    throw new UsageError('--initrd', 'an initrd was given without a kernel', 'add --kernel with the kernel that goes with it');
  }
  if (options.append !== undefined && !options.kernel && (options.iso || options.defaultImageAs !== 'kernel')) {
    throw new UsageError('--append', 'a kernel command line only applies to kernel boots', 'add --kernel/--initrd, or drop --append (an ISO brings its own command line)');
  }

  let source: ResolvedBootSource;
  let probeKernel: string | undefined;
  if (options.iso) {
    source = { kind: 'iso', iso: await checkImageFile(options.iso, 'iso', '--iso'), isDefaultImage: false };
  } else if (options.kernel) {
    const kernel = await checkImageFile(options.kernel, 'kernel', '--kernel');
    const initrd = options.initrd ? await checkImageFile(options.initrd, 'initrd', '--initrd') : undefined;
    source = { kind: 'kernel', kernel, initrd, append: withSerialConsole(options.append ?? ''), isDefaultImage: false };
    probeKernel = kernel;
  } else {
    const image = await locateDefaultImage({ cacheDir, repoRoot });
    probeKernel = image.kernel;
    source =
      options.defaultImageAs === 'kernel'
        ? { kind: 'kernel', kernel: image.kernel, initrd: image.initrd, append: withSerialConsole(options.append ?? ''), isDefaultImage: true }
        : { kind: 'iso', iso: image.iso, isDefaultImage: true };
  }
  if (!probeKernel) probeKernel = await locateDefaultImage({ cacheDir, repoRoot }).then((image) => image.kernel, () => undefined);

  const disks: BootPlan['disks'] = [];
  for (const [index, disk] of (options.disks ?? []).entries()) {
    if (typeof disk === 'string') disks.push({ kind: 'file', path: await checkImageFile(disk, 'disk', '--disk') });
    else disks.push({ kind: 'blank', sizeMiB: positiveInteger(disk.blankMiB, `disks[${index}].blankMiB`, 1, 1 << 20) });
  }

  const sshKeyPath = options.sshKeyPath ? resolve(options.sshKeyPath) : undefined;
  let keyInjection: BootPlan['keyInjection'];
  const requestedInjection = options.keyInjection ?? 'auto';
  if (requestedInjection === 'auto') keyInjection = sshKeyPath ? 'none' : source.kind === 'kernel' ? 'cmdline' : 'smbios';
  else keyInjection = requestedInjection;
  if (keyInjection === 'cmdline' && source.kind !== 'kernel') {
    throw new UsageError('keyInjection cmdline', 'the kernel command line of an ISO is not under the harness\'s control', 'use smbios (the default for ISOs) or boot with --kernel/--initrd');
  }

  return {
    name: options.name ?? (source.isDefaultImage ? `default-${source.kind}` : source.kind),
    source,
    probeKernel,
    disks,
    memoryMiB,
    cpus,
    accel,
    sshKeyPath,
    keyInjection,
    network: options.network ?? true,
    waitFor: options.waitFor ?? 'shell',
    promptPattern: options.promptPattern,
    login: options.login,
    failurePatterns: options.failurePatterns ?? true,
    bootTimeoutMs,
    sshTimeoutMs,
    logRoot,
    cacheDir,
    qemuBinary: options.qemuBinary ?? (await locateQemuBinary(env)),
    extraQemuArgs: options.extraQemuArgs ?? [],
  };
}

function withSerialConsole(append: string): string {
  return /(^|\s)console=ttyS0/.test(append) ? append.trim() : `console=ttyS0,115200n8 ${append}`.trim();
}

function positiveInteger(value: number, name: string, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(
      name,
      `expected an integer from ${min} to ${max}, got \`${String(value)}\` (${typeof value})`,
      `pass a whole number between ${min} and ${max}`,
    );
  }
  return value;
}
