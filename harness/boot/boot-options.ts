// The boundary of `bootVm`: user options in, one validated, fully-resolved plan out. Nothing below
// re-checks for undefined.
// Over 300 lines: BootOptions is the documented public option surface (~100 lines of doc comments) and its one resolver.
import { resolve, sep } from 'node:path';
import { UsageError } from '../errors.ts';
import { parseAcceleratorRequest, type AcceleratorRequest } from '../qemu/accelerator-probe.ts';
import { locateQemuBinary } from '../qemu/qemu-binary.ts';
import { validateExtraQemuArgs } from '../qemu/extra-qemu-args.ts';
import type { ShellLogin } from '../console/shell-session.ts';
import { checkImageFile } from './image-file-check.ts';
import { type NicOption, type NicPlan, resolveNics } from './nic-options.ts';
import { defaultRepoRoot, type FixtureFlavour, locateDefaultImage } from './default-image.ts';
import { parseTimeoutScale, type TimeoutScaleRequest } from './timeout-scale.ts';
import { defaultMemoryMiB } from './boot-defaults.ts';
import { defaultKeepRuns, type KeepRuns, parseKeepRuns } from './run-retention.ts';

export type KeyInjection = 'auto' | 'cmdline' | 'smbios' | 'fw_cfg' | 'none';

export type DiskOption = string | { blankMiB: number };

// The NIC option types live with their resolver; re-exported here, where every other option is.
export type { NicModel, NicOption, NicPlan } from './nic-options.ts';

/**
 * Network boot through the NIC's iPXE ROM. `true`: a local HTTP chain of the kernel+initrd (given, or the
 * default image's); `tftp`: the same chain through slirp's TFTP server; `url`: chain to that boot URL instead.
 */
export type IpxeOption = boolean | { url?: string; tftp?: boolean };

export interface BootOptions {
  /** Names the run folder in boot-logs/. */
  name?: string;
  iso?: string;
  kernel?: string;
  initrd?: string;
  /** Kernel command line for kernel boots (console=ttyS0 is added when missing). */
  append?: string;
  ipxe?: IpxeOption;
  /** Which fixture image to boot when no image is given: `default` (busybox) or `systemd` (Debian 12). */
  fixture?: FixtureFlavour;
  /** Which form of the default image to boot when no image is given (default `iso`). */
  defaultImageAs?: 'iso' | 'kernel';
  disks?: DiskOption[];
  memoryMiB?: number;
  /**
   * vCPUs of the guest. Unset: chosen when the boot starts, one per host core that is idle and has a free
   * host-wide vCPU slot (1 to 4; a TCG guest runs one host thread per vCPU), and 1 for snapshot boots,
   * whose restores must match the saved machine. Either way the boot holds one slot per vCPU while it boots.
   */
  cpus?: number;
  accel?: AcceleratorRequest;
  /** Private key of an image that already trusts it; no key is injected then. */
  sshKeyPath?: string;
  /** How the per-run public key reaches the guest (`auto`: kernel command line for kernel boots, SMBIOS credential otherwise). */
  keyInjection?: KeyInjection;
  /** false: no NIC at all (same as `nics: []`). */
  network?: boolean;
  /** The guest's NICs in order (default: one user-mode NIC). The first user-mode NIC carries SSH and iPXE. */
  nics?: NicOption[];
  /**
   * When bridge/macvtap NICs cannot be made here (no CAP_NET_ADMIN, /dev/net/tun or `ip`): `error`
   * (default) fails before QEMU starts; `user` boots with user-mode networking and a warning in the report.
   */
  l2Fallback?: 'error' | 'user';
  /** Wait for a shell (default), for one console pattern only, or for nothing. */
  waitFor?: 'shell' | RegExp | 'nothing';
  /**
   * Drive a bootloader menu first: wait until the rendered screen (a headless terminal, because menus are
   * drawn with cursor moves) matches `waitFor`, then type `keys` (e.g. `\x1b[B\r`: Down, Enter).
   */
  bootMenu?: { waitFor: RegExp; keys: string };
  /** The image's own prompt before the harness installs its own. */
  promptPattern?: RegExp;
  login?: ShellLogin;
  /** Console patterns that fail the boot at once (default: kernel panic, Oops, emergency mode, …); false turns them off. */
  failurePatterns?: boolean;
  bootTimeoutMs?: number;
  /**
   * Give up on the prompt when the serial console has printed nothing for this long (default 120 s, never
   * more than bootTimeoutMs; 0: off). The error then says what the VGA screen shows.
   */
  serialSilenceTimeoutMs?: number;
  sshTimeoutMs?: number;
  /**
   * Multiplies every budget of the run (boot, SSH, the checks'): a factor, or `auto` (the default, also
   * from `HARNESS_TIMEOUT_SCALE`): under TCG, how much slower than a reference this host runs the default
   * image's kernel; under KVM 1. The report records the factor and why.
   */
  timeoutScale?: TimeoutScaleRequest;
  /**
   * Boot again, up to this many times, when a boot fails for a reason in the infrastructure (QEMU could
   * not start or was killed with no guest cause, the host out of memory or disk, a port or lock race, a
   * silent guest on an overloaded host). Never for an image failure. Default 0. The report says which
   * attempt passed and why the first one failed.
   */
  retries?: number;
  /** BIOS (default) or UEFI with OVMF. */
  firmware?: 'bios' | 'uefi';
  /**
   * Secrets for the guest as systemd credentials (SMBIOS type 11, read from files in the run dir, never on a
   * command line other users can see): credential name → host file.
   */
  credentials?: Record<string, string>;
  /** Host port (on 127.0.0.1) forwarded to the guest's SSH; default 0, the OS picks a free one. */
  sshPort?: number;
  logRoot?: string;
  /** Run folders kept in logRoot: each run removes the oldest beyond this many (default 300, HARNESS_KEEP_RUNS; 'all' keeps every one). */
  keepRuns?: number | 'all';
  cacheDir?: string;
  qemuBinary?: string;
  extraQemuArgs?: string[];
  /** Boot a VM whose state can be saved (`BootedVm.saveSnapshot`): one vCPU unless set, so every restore matches it. */
  snapshotable?: boolean;
  /** Start from a saved snapshot instead of booting (see run/vm-snapshot.ts); the other options must match the saving run's. */
  restoreFrom?: RestorePoint;
  env?: NodeJS.ProcessEnv;
}

export type ResolvedBootSource =
  | { kind: 'iso'; iso: string; isDefaultImage: boolean }
  | { kind: 'kernel'; kernel: string; initrd: string | undefined; append: string; isDefaultImage: boolean }
  | { kind: 'ipxe'; mode: 'http' | 'tftp'; kernel: string; initrd: string | undefined; append: string; isDefaultImage: boolean }
  | { kind: 'ipxe'; mode: 'remote'; url: string; isDefaultImage: false };

/** What a restore needs from a snapshot: its files and the prompt and key of the saved guest. */
export interface RestorePoint {
  /** Folder holding the saved state (vmstate.mig), the saved drives (disk<N>.qcow2) and the key. */
  dir: string;
  snapshotName: string;
  prompt: string;
  privateKeyPath: string;
}

export interface BootPlan {
  name: string;
  snapshotable: boolean;
  restoreFrom: RestorePoint | undefined;
  bootMenu: { waitFor: RegExp; keys: string } | undefined;
  source: ResolvedBootSource;
  /** A kernel to probe KVM with (the image's own, or the default image's). */
  probeKernel: string | undefined;
  disks: ({ kind: 'file'; path: string } | { kind: 'blank'; sizeMiB: number })[];
  memoryMiB: number;
  /** `auto`: as many as there are free host vCPU slots when the boot starts (see BootOptions.cpus). */
  cpus: number | 'auto';
  accel: AcceleratorRequest;
  sshKeyPath: string | undefined;
  keyInjection: Exclude<KeyInjection, 'auto'>;
  /** True when the guest has a user-mode NIC (SSH forward, iPXE). */
  network: boolean;
  nics: NicPlan[];
  l2Fallback: 'error' | 'user';
  waitFor: 'shell' | RegExp | 'nothing';
  promptPattern: RegExp | undefined;
  login: ShellLogin | undefined;
  failurePatterns: boolean;
  /** Unscaled; BootedVm.bootTimeoutMs is the budget after the timeout scale. */
  bootTimeoutMs: number;
  /** 0: no silence watch. */
  serialSilenceTimeoutMs: number;
  /** Unscaled; BootedVm.sshTimeoutMs is the budget after the timeout scale. */
  sshTimeoutMs: number;
  timeoutScale: { requested: TimeoutScaleRequest; source: string };
  /** The default image's kernel, whose TCG speed against a reference sets the auto timeout scale. */
  referenceKernel: string | undefined;
  sshPort: number;
  firmware: 'bios' | 'uefi';
  credentials: { name: string; file: string }[];
  logRoot: string;
  keepRuns: KeepRuns;
  cacheDir: string;
  qemuBinary: string;
  extraQemuArgs: string[];
}

/** TCG on a busy 2-core machine: a real systemd image needs 40–80 s to its prompt, so budgets are wide. */
export const defaultBootTimeoutMs = 240_000;
export const defaultSshTimeoutMs = 90_000;
/** Longer than any quiet stretch of a booting image under TCG (an XZ kernel unpacking: 5-9 s), far shorter than the boot budget. */
export const defaultSerialSilenceTimeoutMs = 120_000;

export async function resolveBootOptions(options: BootOptions): Promise<BootPlan> {
  const env = options.env ?? process.env;
  const repoRoot = defaultRepoRoot();
  const cacheDir = resolve(options.cacheDir ?? env.HARNESS_CACHE_DIR ?? resolve(repoRoot, '.cache'));
  // An installed package's own folder is nobody's place for logs: they go where the caller runs.
  const defaultLogRoot = repoRoot.split(sep).includes('node_modules') ? resolve(process.cwd(), 'boot-logs') : resolve(repoRoot, 'boot-logs');
  const logRoot = resolve(options.logRoot ?? env.HARNESS_LOG_DIR ?? defaultLogRoot);
  const keepRuns =
    options.keepRuns !== undefined ? parseKeepRuns(options.keepRuns, 'keepRuns') : env.HARNESS_KEEP_RUNS ? parseKeepRuns(env.HARNESS_KEEP_RUNS, 'HARNESS_KEEP_RUNS') : defaultKeepRuns;
  const memoryMiB = positiveInteger(options.memoryMiB ?? defaultMemoryMiB, 'memoryMiB', 64, 65536);
  const snapshotable = Boolean(options.snapshotable || options.restoreFrom);
  const cpus = options.cpus === undefined ? (snapshotable ? 1 : 'auto') : positiveInteger(options.cpus, 'cpus', 1, 64);
  const bootTimeoutMs = positiveInteger(options.bootTimeoutMs ?? defaultBootTimeoutMs, 'bootTimeoutMs', 1, 24 * 3600_000);
  const sshTimeoutMs = positiveInteger(options.sshTimeoutMs ?? defaultSshTimeoutMs, 'sshTimeoutMs', 1, 24 * 3600_000);
  const serialSilenceTimeoutMs =
    options.serialSilenceTimeoutMs === 0 ? 0 : positiveInteger(options.serialSilenceTimeoutMs ?? defaultSerialSilenceTimeoutMs, 'serialSilenceTimeoutMs', 1000, 24 * 3600_000);
  const accel = options.accel ?? parseAcceleratorRequest(env.HARNESS_ACCEL || 'auto', 'HARNESS_ACCEL');
  const timeoutScale =
    options.timeoutScale !== undefined
      ? { requested: parseTimeoutScale(options.timeoutScale, 'timeoutScale'), source: 'timeoutScale' }
      : env.HARNESS_TIMEOUT_SCALE
        ? { requested: parseTimeoutScale(env.HARNESS_TIMEOUT_SCALE, 'HARNESS_TIMEOUT_SCALE'), source: 'HARNESS_TIMEOUT_SCALE' }
        : { requested: 'auto' as const, source: 'default' };

  if (options.iso && (options.kernel || options.initrd)) {
    throw new UsageError('--iso with --kernel/--initrd', 'two boot sources were given', 'boot either an ISO or a kernel+initrd, not both');
  }
  if (options.initrd && !options.kernel) {
    throw new UsageError('--initrd', 'an initrd was given without a kernel', 'add --kernel with the kernel that goes with it');
  }
  const ipxe = normaliseIpxe(options);
  if (options.append !== undefined && !options.kernel && (options.iso || (options.defaultImageAs !== 'kernel' && ipxe?.mode !== 'http' && ipxe?.mode !== 'tftp'))) {
    throw new UsageError('--append', 'a kernel command line only applies to kernel boots', 'add --kernel/--initrd, or drop --append (an ISO brings its own command line)');
  }

  const fixture = options.fixture ?? 'default';
  if (fixture !== 'default' && fixture !== 'systemd') {
    throw new UsageError(`--fixture ${String(fixture)}`, 'unknown fixture image', 'use default (busybox) or systemd (Debian 12)');
  }
  let source: ResolvedBootSource;
  let probeKernel: string | undefined;
  if (ipxe?.mode === 'remote') {
    source = { kind: 'ipxe', mode: 'remote', url: ipxe.url, isDefaultImage: false };
  } else if (ipxe) {
    const image = options.kernel ? undefined : await locateDefaultImage({ cacheDir, repoRoot, flavour: fixture });
    const kernel = options.kernel ? await checkImageFile(options.kernel, 'kernel', '--kernel') : (image?.kernel ?? '');
    const initrd = options.initrd ? await checkImageFile(options.initrd, 'initrd', '--initrd') : image?.initrd;
    source = { kind: 'ipxe', mode: ipxe.mode, kernel, initrd, append: withSerialConsole(options.append ?? ''), isDefaultImage: !options.kernel };
    probeKernel = kernel;
  } else if (options.iso) {
    source = { kind: 'iso', iso: await checkImageFile(options.iso, 'iso', '--iso'), isDefaultImage: false };
  } else if (options.kernel) {
    const kernel = await checkImageFile(options.kernel, 'kernel', '--kernel');
    const initrd = options.initrd ? await checkImageFile(options.initrd, 'initrd', '--initrd') : undefined;
    source = { kind: 'kernel', kernel, initrd, append: withSerialConsole(options.append ?? ''), isDefaultImage: false };
    probeKernel = kernel;
  } else {
    const image = await locateDefaultImage({ cacheDir, repoRoot, flavour: fixture });
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
  const ownsCmdline = source.kind === 'kernel' || (source.kind === 'ipxe' && source.mode !== 'remote');
  if (requestedInjection === 'auto') keyInjection = sshKeyPath ? 'none' : ownsCmdline ? 'cmdline' : 'smbios';
  else keyInjection = requestedInjection;
  if (keyInjection === 'cmdline' && !ownsCmdline) {
    throw new UsageError('keyInjection cmdline', 'the kernel command line of an ISO is not under the harness\'s control', 'use smbios (the default for ISOs and remote iPXE chains) or boot with --kernel/--initrd');
  }

  const name = options.name ?? `${source.isDefaultImage ? 'default-' : ''}${source.kind}${source.kind === 'ipxe' ? `-${source.mode}` : ''}`;
  const nics = resolveNics(options, name);
  const network = nics.some((nic) => nic.mode === 'user');
  if (source.kind === 'ipxe' && !network) {
    throw new UsageError('network: false with ipxe', 'an iPXE chain boots over the network', 'drop `network: false`, or boot the kernel directly');
  }
  if (options.restoreFrom && nics.some((nic) => nic.mode !== 'user')) {
    throw new UsageError('restoreFrom with bridge/macvtap NICs', 'snapshot restore is supported for user-mode networking only', 'boot L2 guests normally, or restore with user-mode NICs');
  }
  const l2Fallback = options.l2Fallback ?? 'error';
  if (l2Fallback !== 'error' && l2Fallback !== 'user') {
    throw new UsageError(`l2Fallback ${String(l2Fallback)}`, 'unknown fallback', 'use error (fail when L2 networking is unavailable) or user (boot with user-mode networking and a warning)');
  }

  if (options.restoreFrom && source.kind === 'ipxe') {
    throw new UsageError('restoreFrom with ipxe', 'a network boot cannot be restored from a snapshot', 'snapshot an ISO or kernel boot');
  }
  if (options.restoreFrom && (options.waitFor ?? 'shell') !== 'shell') {
    throw new UsageError('restoreFrom with waitFor', 'a restored guest is taken over at its shell', 'drop waitFor');
  }
  return {
    snapshotable,
    bootMenu: options.bootMenu,
    restoreFrom: options.restoreFrom,
    name,
    source,
    probeKernel,
    disks,
    memoryMiB,
    cpus,
    accel,
    sshKeyPath,
    keyInjection,
    network,
    nics,
    l2Fallback,
    waitFor: options.waitFor ?? 'shell',
    promptPattern: options.promptPattern,
    login: options.login,
    failurePatterns: options.failurePatterns ?? true,
    bootTimeoutMs,
    // Past the boot budget the prompt timeout fires first and says the same.
    serialSilenceTimeoutMs: serialSilenceTimeoutMs >= bootTimeoutMs ? 0 : serialSilenceTimeoutMs,
    sshTimeoutMs,
    timeoutScale,
    referenceKernel: timeoutScale.requested === 'auto' ? await locateDefaultImage({ cacheDir, repoRoot }).then((image) => image.kernel, () => undefined) : undefined,
    firmware: parseFirmware(options.firmware ?? 'bios'),
    credentials: await resolveCredentials(options.credentials ?? {}),
    sshPort: options.sshPort === undefined || options.sshPort === 0 ? 0 : await freeLoopbackPort(positiveInteger(options.sshPort, 'sshPort', 1, 65535)),
    logRoot,
    keepRuns,
    cacheDir,
    qemuBinary: options.qemuBinary ?? (await locateQemuBinary(env)),
    extraQemuArgs: validateExtraQemuArgs(options.extraQemuArgs),
  };
}

type NormalisedIpxe = { mode: 'http' | 'tftp' } | { mode: 'remote'; url: string };

function normaliseIpxe(options: BootOptions): NormalisedIpxe | undefined {
  const ipxe = options.ipxe;
  if (ipxe === undefined || ipxe === false) return undefined;
  if (ipxe !== true && (typeof ipxe !== 'object' || ipxe === null)) {
    throw new UsageError('ipxe', `expected true, false or { url?, tftp? }, got \`${String(ipxe)}\` (${typeof ipxe})`, 'pass ipxe: true, or ipxe: { url } for a remote chain');
  }
  if (options.iso) throw new UsageError('--iso with --ipxe', 'an ISO cannot be chained by iPXE', 'boot the ISO without --ipxe, or give --kernel/--initrd to chain');
  if (ipxe === true || ipxe.url === undefined) return { mode: ipxe !== true && ipxe.tftp ? 'tftp' : 'http' };
  if (options.kernel || options.initrd || options.append !== undefined) {
    throw new UsageError('--ipxe-url with --kernel/--initrd/--append', 'a remote chain brings its own kernel, initrd and command line', 'drop --kernel/--initrd/--append, or drop --ipxe-url to chain them locally');
  }
  if (ipxe.tftp) throw new UsageError('--ipxe-url with --tftp', '--tftp serves the local chain over TFTP', 'give a tftp:// URL to chain a remote TFTP server');
  return { mode: 'remote', url: validateIpxeUrl(ipxe.url) };
}

/** A boot URL as the guest resolves it: http, https or tftp, and never the guest's own loopback. */
export function validateIpxeUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError('--ipxe-url', `expected an absolute http://, https:// or tftp:// URL, got \`${value}\``, 'pass e.g. --ipxe-url http://10.0.2.2:8080/boot.ipxe');
  }
  if (!['http:', 'https:', 'tftp:'].includes(url.protocol)) {
    throw new UsageError('--ipxe-url', `expected an http, https or tftp URL, got \`${url.protocol.replace(/:$/, '')}\` in \`${value}\``, 'iPXE here chains http://, https:// and tftp:// URLs only');
  }
  if (/\s/.test(value)) throw new UsageError('--ipxe-url', `a URL cannot contain white space, got \`${value}\``, 'percent-encode spaces (%20)');
  if (url.hostname === 'localhost' || url.hostname.startsWith('127.') || url.hostname === '[::1]') {
    throw new UsageError(
      '--ipxe-url',
      `\`${url.hostname}\` is the guest itself, not this host`,
      `the guest reaches this host's 127.0.0.1 as 10.0.2.2 (e.g. ${url.protocol}//10.0.2.2${url.port ? `:${url.port}` : ''}${url.pathname})`,
    );
  }
  return value;
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

/** An explicit forwarded port must be free on 127.0.0.1, else QEMU would fail with a less clear message. */
async function freeLoopbackPort(port: number): Promise<number> {
  const { createServer } = await import('node:net');
  await new Promise<void>((resolvePort, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new UsageError(`--ssh-port ${port}`, `port ${port} on 127.0.0.1 is already in use`, 'pick another port, or leave --ssh-port out so the OS picks a free one')
          : error,
      ),
    );
    server.listen(port, '127.0.0.1', () => server.close(() => resolvePort()));
  });
  return port;
}

function parseFirmware(value: string): 'bios' | 'uefi' {
  if (value === 'bios' || value === 'uefi') return value;
  throw new UsageError(`--firmware ${value}`, 'unknown firmware', 'use bios or uefi');
}

async function resolveCredentials(credentials: Record<string, string>): Promise<{ name: string; file: string }[]> {
  const resolved: { name: string; file: string }[] = [];
  for (const [name, file] of Object.entries(credentials)) {
    // systemd credential names: no slashes, no control characters, at most 255 bytes.
    if (!/^[A-Za-z0-9_.@:-]{1,255}$/.test(name)) {
      throw new UsageError(`--credential ${name}=…`, 'not a valid systemd credential name', 'use letters, digits and . _ - : @ (e.g. ssh.authorized_keys.root)');
    }
    const { readFile } = await import('node:fs/promises');
    await readFile(file).catch((error: NodeJS.ErrnoException) => {
      throw new UsageError(`--credential ${name}=${file}`, `cannot read the file (${error.code ?? error.message})`, 'pass a readable file holding the secret');
    });
    resolved.push({ name, file: resolve(file) });
  }
  return resolved;
}
