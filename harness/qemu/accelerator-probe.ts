// Decides KVM or TCG by booting a kernel under KVM, never by trusting /dev/kvm or QEMU's own claims.
// Why: on some hosts /dev/kvm exists and QEMU reports KVM enabled, yet guests crawl ~100x slower
// than TCG and then die with a KVM internal error. Only a real guest printing text proves KVM works.
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { hostname, release } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../errors.ts';
import { cacheRecordFormat, readCacheRecord, writeCacheRecord } from '../util/cache-record.ts';
import { monotonicNowMs } from '../util/clock.ts';
import { qemuVersionOf } from './qemu-binary.ts';
import { type OutputWaitResult, runUntilOutput } from '../util/short-process.ts';

export type Accelerator = 'kvm' | 'tcg';
export type AcceleratorRequest = 'auto' | Accelerator;

export interface AcceleratorVerdict {
  accel: Accelerator;
  requested: AcceleratorRequest;
  /** undefined when not known: TCG was requested, or there was no kernel to probe with. */
  kvmUsable: boolean | undefined;
  reason: string;
  probeMs?: number;
  fromCache: boolean;
}

export const kvmDevicePath = '/dev/kvm';
export const acceleratorCacheFile = 'accelerator-verdict.json';
export const defaultProbeTimeoutMs = 3_000;
const bootBanner = /Linux version/;

/** What identifies "the same host" for a cached verdict: any change re-probes. */
export interface HostFacts {
  hostname: string;
  kernelRelease: string;
  qemuBinary: string;
  qemuVersion: string;
  /** `rdev` of /dev/kvm, or `absent`. */
  kvmDevice: string;
}

/** What a probe guest did: printed the banner, exited (how, with what on stderr), or could not start. */
export type GuestRunResult = OutputWaitResult;

/** The probe's view of the host, injectable so tests never start QEMU. */
export interface AcceleratorProbeSystem {
  /** undefined when /dev/kvm exists and is readable and writable; otherwise what is wrong. */
  kvmDeviceProblem(): Promise<string | undefined>;
  /** Starts `binary args`, resolves when `pattern` appears on stdout, the process exits, or `timeoutMs` passes; kills it always. */
  runUntilOutput(binary: string, args: readonly string[], pattern: RegExp, timeoutMs: number): Promise<GuestRunResult>;
  /** `cacheDir`: where the QEMU version read by an earlier process may be found. */
  hostFacts(qemuBinary: string, cacheDir: string): Promise<HostFacts>;
}

export function parseAcceleratorRequest(value: string | undefined, source: string): AcceleratorRequest {
  if (value === undefined || value.trim() === '') return 'auto';
  const normalised = value.trim().toLowerCase();
  if (normalised === 'auto' || normalised === 'kvm' || normalised === 'tcg') return normalised;
  throw new UsageError(source, `expected auto, kvm or tcg, got \`${value}\``, `use ${source} auto, kvm or tcg`);
}

/** QEMU argv of the probe guest: the kernel alone, serial on stdout, nothing else to wait for. */
export function kvmProbeArgs(kernelPath: string): string[] {
  return [
    '-accel', 'kvm',
    '-m', '256',
    '-display', 'none',
    '-serial', 'stdio',
    '-monitor', 'none',
    '-nodefaults',
    '-no-reboot',
    '-kernel', kernelPath,
    '-append', 'console=ttyS0 panic=-1',
  ];
}

export async function probeKvm(options: {
  qemuBinary: string;
  kernelPath?: string;
  timeoutMs?: number;
  system?: AcceleratorProbeSystem;
}): Promise<{ usable: boolean; reason: string; probeMs: number }> {
  const system = options.system ?? systemAcceleratorProbe;
  const startedMs = monotonicNowMs();
  const elapsed = () => Math.round(monotonicNowMs() - startedMs);
  const deviceProblem = await system.kvmDeviceProblem();
  if (deviceProblem) return { usable: false, reason: deviceProblem, probeMs: elapsed() };
  if (!options.kernelPath) {
    return { usable: false, reason: 'no kernel to probe KVM with', probeMs: elapsed() };
  }
  const timeoutMs = options.timeoutMs ?? defaultProbeTimeoutMs;
  const run = await system.runUntilOutput(options.qemuBinary, kvmProbeArgs(options.kernelPath), bootBanner, timeoutMs);
  return { ...describeGuestRun(run, timeoutMs), probeMs: elapsed() };
}

function describeGuestRun(run: GuestRunResult, timeoutMs: number): { usable: boolean; reason: string } {
  if (run.matched) {
    return { usable: true, reason: `a KVM guest printed "Linux version" after ${Math.round(run.elapsedMs)} ms` };
  }
  if (run.spawnError) return { usable: false, reason: `QEMU could not be started: ${run.spawnError}` };
  const stderr = lastErrorLine(run.stderrTail);
  if (run.exitCode !== null || (run.signal !== null && run.signal !== 'SIGKILL')) {
    const how = run.exitCode !== null ? `exited with code ${run.exitCode}` : `died of ${run.signal}`;
    return { usable: false, reason: `QEMU ${how} under KVM before "Linux version"${stderr ? `: ${stderr}` : ''}` };
  }
  return {
    usable: false,
    reason: `a KVM guest printed no "Linux version" within ${timeoutMs} ms (TCG prints it in ~1 s)${stderr ? `; QEMU said: ${stderr}` : ''}`,
  };
}

/** QEMU's last error line; its warnings (CPUID features) appear on healthy hosts too, so they are left out. */
function lastErrorLine(text: string): string {
  const lines = text.split('\n').map((line) => line.trim()).filter((line) => line && !/warning:/i.test(line));
  return lines.at(-1) ?? '';
}

/** The verdict file's layout is unchanged since version 1: older harness checkouts share the cache dir. */
const verdictFormat = cacheRecordFormat({
  version: 1,
  keyField: 'host',
  fields: { kvmUsable: 'boolean', reason: 'string', probeMs: 'number', probedAt: 'string' },
});

export async function chooseAccelerator(options: {
  requested: AcceleratorRequest;
  qemuBinary: string;
  kernelPath?: string;
  cacheDir: string;
  timeoutMs?: number;
  refresh?: boolean;
  system?: AcceleratorProbeSystem;
}): Promise<AcceleratorVerdict> {
  const { requested } = options;
  if (requested === 'tcg') {
    return { accel: 'tcg', requested, kvmUsable: undefined, reason: 'TCG requested: KVM not probed', fromCache: false };
  }
  const system = options.system ?? systemAcceleratorProbe;
  const knowledge = await knowKvm({ ...options, system });
  const accel: Accelerator = requested === 'kvm' || knowledge.usable === true ? 'kvm' : 'tcg';
  const verdict: AcceleratorVerdict = {
    accel,
    requested,
    kvmUsable: knowledge.usable,
    reason: explain(requested, knowledge),
    fromCache: knowledge.fromCache,
  };
  if (knowledge.probeMs !== undefined) verdict.probeMs = knowledge.probeMs;
  return verdict;
}

interface KvmKnowledge {
  usable: boolean | undefined;
  detail: string;
  probeMs?: number;
  fromCache: boolean;
}

async function knowKvm(options: {
  qemuBinary: string;
  kernelPath?: string;
  cacheDir: string;
  timeoutMs?: number;
  refresh?: boolean;
  system: AcceleratorProbeSystem;
}): Promise<KvmKnowledge> {
  const { system } = options;
  // Checked before the cache: a permission change keeps the device numbers, so the key would not see it.
  const deviceProblem = await system.kvmDeviceProblem();
  if (deviceProblem) return { usable: false, detail: deviceProblem, fromCache: false };
  const host = await system.hostFacts(options.qemuBinary, options.cacheDir);
  const cachePath = join(options.cacheDir, acceleratorCacheFile);
  if (!options.refresh) {
    const cached = await readCacheRecord(cachePath, verdictFormat, host);
    if (cached) return { usable: cached.kvmUsable, detail: cached.reason, probeMs: cached.probeMs, fromCache: true };
  }
  if (!options.kernelPath) {
    return { usable: undefined, detail: 'no kernel to probe KVM with', fromCache: false };
  }
  const probe = await probeKvm({ ...options, system });
  await writeCacheRecord(cachePath, verdictFormat, host, {
    kvmUsable: probe.usable,
    reason: probe.reason,
    probeMs: probe.probeMs,
    probedAt: new Date().toISOString(),
  });
  return { usable: probe.usable, detail: probe.reason, probeMs: probe.probeMs, fromCache: false };
}

function explain(requested: 'auto' | 'kvm', knowledge: KvmKnowledge): string {
  const cached = knowledge.fromCache ? ' (cached verdict)' : '';
  if (requested === 'kvm') {
    if (knowledge.usable === true) return `KVM requested; the probe says it works: ${knowledge.detail}${cached}`;
    if (knowledge.usable === false) {
      return `KVM requested although the probe says it does not work, expect a crawl or a KVM error: ${knowledge.detail}${cached}`;
    }
    return `KVM requested; whether it works is unknown: ${knowledge.detail}`;
  }
  if (knowledge.usable === true) return `KVM works: ${knowledge.detail}${cached}`;
  if (knowledge.usable === false) return `KVM unusable: ${knowledge.detail}${cached}`;
  return `KVM usability unknown, TCG is the safe choice: ${knowledge.detail}`;
}

export const systemAcceleratorProbe: AcceleratorProbeSystem = {
  async kvmDeviceProblem() {
    try {
      const info = await stat(kvmDevicePath);
      if (!info.isCharacterDevice()) return `${kvmDevicePath} is not a character device`;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return code === 'ENOENT' ? `${kvmDevicePath} is absent` : `${kvmDevicePath} cannot be looked at (${code ?? (error as Error).message})`;
    }
    try {
      await access(kvmDevicePath, constants.R_OK | constants.W_OK);
      return undefined;
    } catch (error) {
      return `${kvmDevicePath} is not readable and writable by this user (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
    }
  },
  runUntilOutput,
  async hostFacts(qemuBinary, cacheDir) {
    let kvmDevice = 'absent';
    try {
      kvmDevice = String((await stat(kvmDevicePath)).rdev);
    } catch (error) {
      // Part of the cache key only: an unreadable device must not look like an absent one.
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') kvmDevice = `unreadable (${code ?? 'error'})`;
    }
    const version = await qemuVersionOf(qemuBinary, { cacheDir });
    return { hostname: hostname(), kernelRelease: release(), qemuBinary, qemuVersion: version?.text ?? 'unknown', kvmDevice };
  },
};
