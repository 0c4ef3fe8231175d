// bootVm(): options in, a booted guest out; on any failure QEMU is stopped, the run dir removed, logs kept.
import { type BootOptions, type BootPlan, resolveBootOptions } from './boot-options.ts';
import { recordFailureClass, rewriteReports } from './failure-facts.ts';
import type { AttemptRecord } from './failure-class.ts';
import { UsageError } from '../errors.ts';
import { BootedVm, type BootHooks } from './booted-vm.ts';
import { createRunDirectories } from './run-directory.ts';
import { sweepStaleRuns } from './stale-run-sweep.ts';
import { trackRun } from './run-registry.ts';
import { availableParallelism } from 'node:os';
import { Semaphore } from '../util/semaphore.ts';
import { ConsoleFailureError } from '../console/console-errors.ts';

/**
 * TCG guests are CPU-bound while they boot: on 2 cores, 4 boots at once each take 2.2x as long as one
 * (bench/results-boot.md), and a starved guest trips timeouts. So boots in one process queue for a slot,
 * one per CPU by default (HARNESS_MAX_BOOTS overrides). A booted, idle guest costs little and holds none.
 */
const bootSlots = new Semaphore(maxConcurrentBoots(process.env));

export function maxConcurrentBoots(env: NodeJS.ProcessEnv): number {
  const fromEnv = Number.parseInt(env.HARNESS_MAX_BOOTS ?? '', 10);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : Math.max(1, availableParallelism());
}

export async function bootVm(options: BootOptions = {}, hooks: BootHooks = {}): Promise<BootedVm> {
  const plan = await resolveBootOptions(options);
  const retries = retryCount(options.retries);
  const attempts: AttemptRecord[] = [];
  for (let attempt = 1; ; attempt++) {
    hooks.onAttempt?.(attempt);
    let vm: BootedVm | undefined;
    try {
      vm = await bootOnce(plan, hooks, (started) => (vm = started));
      if (attempts.length > 0) {
        vm.report.retry = { attempt, firstAttempt: attempts[0]!, attempts: [...attempts] };
      }
      return vm;
    } catch (error) {
      if (!vm) throw error;
      // Only a failure the infrastructure caused is retried: an image failure is the answer, not noise.
      const failure = await recordFailureClass(error, vm.report, vm.bootTimeoutMs);
      if (attempts.length > 0) {
        vm.report.retry = { attempt, firstAttempt: attempts[0]!, attempts: [...attempts] };
        await rewriteReports(vm.report, vm.bootTimeoutMs);
      }
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

async function bootOnce(plan: BootPlan, hooks: BootHooks, created: (vm: BootedVm) => void): Promise<BootedVm> {
  await sweepStaleRuns();
  const directories = await createRunDirectories({ name: plan.name, logRoot: plan.logRoot });
  const vm = new BootedVm(plan, directories);
  created(vm);
  hooks.onRunFolder?.(directories.logDir);
  trackRun({
    runDir: directories.runDir,
    qemuPid: () => vm.qemuPid,
    stopped: () => vm.timeline.reached('stopped'),
    stop: (reason) => vm.stop(reason),
    cleanupSync: () => vm.releaseNetworkSync(),
  });
  const releaseSlot = await bootSlots.acquire();
  try {
    await vm.start(hooks);
    return vm;
  } catch (error) {
    await vm.stop(error).catch(() => undefined);
    if (error instanceof ConsoleFailureError && plan.source.kind === 'kernel' && !plan.source.initrd && /Unable to mount root fs/.test(error.trace.join('\n'))) {
      error.message += '\nThe kernel found no root filesystem: this kernel needs an initrd. Fix: add --initrd (or a root= disk on --append).';
    }
    if (error instanceof Error && !error.message.includes(directories.logDir)) {
      error.message += `\nLogs of this run: ${directories.logDir}`;
    }
    throw error;
  } finally {
    releaseSlot();
  }
}
