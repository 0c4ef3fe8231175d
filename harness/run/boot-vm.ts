// bootVm(), the public way to boot: a boot with its recorder attached, so every run folder holds
// console.cast, report.json, report.md and report.html. Composed here, above boot and report, so boot imports neither.
import { bootObservedVm } from '../boot/boot-observed-vm.ts';
import type { BootOptions } from '../boot/boot-options.ts';
import type { BootedVm, BootHooks } from '../boot/booted-vm.ts';
import { RunRecorder } from '../report/run-recorder.ts';

export function bootVm(options: BootOptions = {}, hooks: BootHooks = {}): Promise<BootedVm> {
  return bootObservedVm(options, hooks, () => [new RunRecorder()]);
}
