// One cold boot through all pre-nixos checks, timed and with the harness's and QEMU's CPU over it: a row
// of the time-to-verdict table, and the "all checks" row of the CPU table (run by compiled-boot.js).
import type { BootOptions } from '../../harness/boot/boot-options.ts';
import { type PreNixosExpectations, runPreNixosChecks } from '../../harness/checks/pre-nixos-suite.ts';
import { bootVm } from '../../harness/run/boot-vm.ts';
import { monotonicNowMs } from '../../harness/util/clock.ts';
import { processCpuMs } from './process-cpu.ts';

export interface VerdictSample {
  vcpus: number;
  promptMs: number;
  checksMs: number;
  verdictMs: number;
  menu: string | undefined;
  harnessCpuMs: number;
  qemuCpuMs: number;
  qemuArgv: string[];
}

/** One cold boot through all checks; times are from the bootVm call (slot wait included). */
export async function verdictOnce(options: BootOptions, expected: PreNixosExpectations): Promise<VerdictSample> {
  const cpuBefore = process.cpuUsage();
  const startedAtMs = monotonicNowMs();
  const vm = await bootVm(options);
  try {
    const promptMs = monotonicNowMs() - startedAtMs;
    const outcome = await runPreNixosChecks(vm, expected);
    const verdictMs = monotonicNowMs() - startedAtMs;
    if (!outcome.passed) throw new Error(`checks failed in ${vm.logDir}: ${outcome.checks.filter((c) => !c.passed).map((c) => `${c.id}: ${c.verdict}`).join('; ')}`);
    const qemu = await processCpuMs(vm.qemuPid!);
    const cpu = process.cpuUsage(cpuBefore);
    return {
      vcpus: vm.report.cpus?.count ?? 0,
      promptMs,
      checksMs: verdictMs - promptMs,
      verdictMs,
      menu: vm.timeline.all.find((mark) => mark.phase === 'menu')?.evidence,
      harnessCpuMs: (cpu.user + cpu.system) / 1000,
      qemuCpuMs: qemu,
      qemuArgv: vm.report.qemu.argv,
    };
  } finally {
    await vm.stop();
  }
}
