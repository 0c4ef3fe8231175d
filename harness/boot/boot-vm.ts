// bootVm(): options in, a booted guest out; on any failure QEMU is stopped, the run dir removed, logs kept.
import { type BootOptions, resolveBootOptions } from './boot-options.ts';
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
  const sweep = await sweepStaleRuns();
  const directories = await createRunDirectories({ name: plan.name, logRoot: plan.logRoot });
  const vm = new BootedVm(plan, directories);
  vm.onWarning = hooks.onWarning;
  for (const problem of sweep.problems) vm.warn(problem);
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
    releaseSlot();
  }
}
