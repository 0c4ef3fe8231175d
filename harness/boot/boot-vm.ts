// bootVm(): options in, a booted guest out; on any failure QEMU is stopped, the run dir removed, logs kept.
import { type BootOptions, resolveBootOptions } from './boot-options.ts';
import { BootedVm, type BootHooks } from './booted-vm.ts';
import { createRunDirectories } from './run-directory.ts';
import { sweepStaleRuns } from './stale-run-sweep.ts';
import { trackRun } from './run-registry.ts';

export async function bootVm(options: BootOptions = {}, hooks: BootHooks = {}): Promise<BootedVm> {
  const plan = await resolveBootOptions(options);
  await sweepStaleRuns();
  const directories = await createRunDirectories({ name: plan.name, logRoot: plan.logRoot });
  const vm = new BootedVm(plan, directories);
  trackRun({
    runDir: directories.runDir,
    qemuPid: () => vm.qemuPid,
    stopped: () => vm.timeline.reached('stopped'),
    stop: (reason) => vm.stop(reason),
  });
  try {
    await vm.start(hooks);
    return vm;
  } catch (error) {
    await vm.stop(error).catch(() => undefined);
    if (error instanceof Error && !error.message.includes(directories.logDir)) {
      error.message += `\nLogs of this run: ${directories.logDir}`;
    }
    throw error;
  }
}
