// bootObservedVm(): options in, a booted guest out, watched by the observers the caller attaches (the public
// bootVm attaches the recorder); on any failure QEMU is stopped, the run dir removed, logs kept.
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { type BootOptions, type BootPlan, resolveBootOptions } from './boot-options.ts';
import { recordFailureClass } from './failure-facts.ts';
import type { AttemptRecord } from './failure-class.ts';
import { UsageError } from '../errors.ts';
import { BootedVm, type BootHooks } from './booted-vm.ts';
import type { RunObserver } from './run-observer.ts';
import type { CpuChoice } from './boot-report.ts';
import { createRunDirectories } from './run-directory.ts';
import { sweepStaleRuns } from './stale-run-sweep.ts';
import { pruneRunFolders } from './run-retention.ts';
import { trackRun } from './run-registry.ts';
import { HostCpuSlots, type SlotGrant } from '../qemu/host-cpu-slots.ts';
import { measureIdleCores } from '../qemu/host-idle.ts';
import { ConsoleFailureError } from '../console/console-errors.ts';

/**
 * TCG guests are CPU-bound while they boot: on 2 cores, 4 boots at once each take 2x as long as one
 * (bench/results-boot.md), and a starved guest trips timeouts. So a boot holds one host-wide slot per
 * vCPU (shared by every harness process using the same cache dir: vitest's workers, parallel CLIs) until
 * it reaches its prompt; a booted, idle guest costs little and holds none. HARNESS_MAX_VCPUS sets the
 * number of slots (default: one per host CPU).
 */
export function hostVcpuSlots(env: NodeJS.ProcessEnv): number {
  const fromEnv = Number.parseInt(env.HARNESS_MAX_VCPUS ?? '', 10);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : Math.max(1, availableParallelism());
}

/** The most vCPUs an automatic choice takes: multi-threaded TCG gains little beyond, and others wait less. */
export const maxAutomaticVcpus = 4;

/** Makes the observers of one attempt's run (each retry is a new run with its own folder and recording). */
export type RunObservers = () => RunObserver[];

export async function bootObservedVm(options: BootOptions, hooks: BootHooks, observers: RunObservers): Promise<BootedVm> {
  const plan = await resolveBootOptions(options);
  const retries = retryCount(options.retries);
  const attempts: AttemptRecord[] = [];
  for (let attempt = 1; ; attempt++) {
    hooks.onAttempt?.(attempt);
    let vm: BootedVm | undefined;
    try {
      vm = await bootOnce(plan, options, hooks, observers, (started) => (vm = started));
      if (attempts.length > 0) {
        vm.report.retry = { attempt, firstAttempt: attempts[0]!, attempts: [...attempts] };
      }
      return vm;
    } catch (error) {
      if (!vm) throw error;
      // Only a failure the infrastructure caused is retried: an image failure is the answer, not noise.
      const failure = await recordFailureClass(error, vm.report);
      if (attempts.length > 0) vm.report.retry = { attempt, firstAttempt: attempts[0]!, attempts: [...attempts] };
      // The stopped run's observers wrote its report before it was classified: they write it again.
      await vm.reportUpdated();
      if (failure.failureClass !== 'infrastructure' || attempt > retries) {
        if (error instanceof Error) error.message += `\nFailure class: ${failure.failureClass}: ${failure.reason}${attempt > 1 ? ` (attempt ${attempt} of ${retries + 1})` : ''}`;
        throw error;
      }
      attempts.push({ attempt, ...failure, logDir: vm.logDir });
    }
  }
}

function retryCount(value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 10) {
    throw new UsageError('retries', `expected a whole number from 0 to 10, got \`${String(value)}\` (${typeof value})`, 'pass e.g. retries: 2 (infrastructure failures only are retried)');
  }
  return value;
}

async function bootOnce(plan: BootPlan, options: BootOptions, hooks: BootHooks, observers: RunObservers, created: (vm: BootedVm) => void): Promise<BootedVm> {
  const sweep = await sweepStaleRuns();
  const directories = await createRunDirectories({ name: plan.name, logRoot: plan.logRoot });
  const pruned = await pruneRunFolders(plan.logRoot, plan.keepRuns);
  const vm = new BootedVm(plan, directories);
  for (const observer of observers()) vm.observe(observer);
  created(vm);
  vm.onWarning = hooks.onWarning;
  for (const problem of [...sweep.problems, ...pruned.problems]) vm.warn(problem);
  hooks.onRunFolder?.(directories.logDir);
  const release = trackRun({
    runDir: directories.runDir,
    qemuPid: () => vm.qemuPid,
    stopped: () => vm.timeline.reached('stopped'),
    stop: (reason) => vm.stop(reason),
    cleanupSync: () => vm.releaseNetworkSync(),
  });
  // Released once the stop has finished (run dir removed): the last one takes the process handlers away.
  vm.onceStopped(release);
  let grant: SlotGrant | undefined;
  try {
    const slots = new HostCpuSlots({ dir: join(plan.cacheDir, 'vcpu-slots'), capacity: hostVcpuSlots(options.env ?? process.env) });
    // Only cores that are idle now count: other work (a boot elsewhere, not ours) leaves no core to gain.
    const idleCores = plan.cpus === 'auto' ? await measureIdleCores(availableParallelism()) : undefined;
    grant = await slots.acquire(plan.cpus === 'auto' ? { upTo: automaticVcpus(idleCores!) } : { vcpus: plan.cpus });
    await vm.start(hooks, cpuChoice(plan, options, grant, idleCores));
    return vm;
  } catch (error) {
    // stop(error) records its own cleanup failures as warnings and never throws over `error`.
    await vm.stop(error);
    if (error instanceof ConsoleFailureError && plan.source.kind === 'kernel' && !plan.source.initrd && /Unable to mount root fs/.test(error.trace.join('\n'))) {
      error.message += '\nThe kernel found no root filesystem: this kernel needs an initrd. Fix: add --initrd (or a root= disk on --append).';
    }
    if (error instanceof Error && !error.message.includes(directories.logDir)) {
      error.message += `\nLogs of this run: ${directories.logDir}`;
    }
    throw error;
  } finally {
    grant?.release();
  }
}

/** The most vCPUs an automatic choice asks for: the idle host cores, rounded, at least 1, at most maxAutomaticVcpus. */
export function automaticVcpus(idleCores: number): number {
  return Math.max(1, Math.min(maxAutomaticVcpus, Math.round(idleCores)));
}

/** How many vCPUs the guest gets, and why, for the report. */
export function cpuChoice(plan: Pick<BootPlan, 'cpus'>, options: Pick<BootOptions, 'cpus'>, grant: Pick<SlotGrant, 'vcpus' | 'capacity' | 'waitedMs'>, idleCores?: number): CpuChoice {
  const waited = grant.waitedMs >= 1000 ? `, after waiting ${(grant.waitedMs / 1000).toFixed(1)} s for free slots` : '';
  const slots = `${grant.vcpus} of ${grant.capacity} host vCPU slots`;
  if (plan.cpus === 'auto') {
    return {
      count: grant.vcpus,
      chosenBy: 'automatic',
      reason: `${grant.vcpus} vCPU${grant.vcpus === 1 ? '' : 's'}: ${idleCores === undefined ? '' : `${idleCores.toFixed(1)} host cores idle, `}${slots} held (an automatic choice takes the idle cores' worth of free slots, 1 to ${maxAutomaticVcpus}; TCG runs one host thread per vCPU)${waited}`,
      waitedMs: Math.round(grant.waitedMs),
    };
  }
  const held = grant.vcpus < plan.cpus ? `; it holds all ${grant.capacity} slots, the host has no more` : `; it holds ${slots}`;
  return {
    count: plan.cpus,
    chosenBy: options.cpus === undefined ? 'snapshot' : 'caller',
    reason:
      options.cpus === undefined
        ? `1 vCPU: a snapshot boot keeps one, so every restore matches the saved machine${held}${waited}`
        : `${plan.cpus} vCPU${plan.cpus === 1 ? '' : 's'}: set by the caller${held}${waited}`,
    waitedMs: Math.round(grant.waitedMs),
  };
}
