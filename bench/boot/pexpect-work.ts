// The harness doing exactly what pexpect-boot.py does, for the CPU comparison: boot the direct kernel+initrd
// image to its shell, run one command on the serial console, keep reading for the same settle time. No SSH
// (no key injected, so no early SSH attempts) and no checks; the recorder and console logs stay on, as
// every bootVm has them.
import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { bootObservedVm } from '../../harness/boot/boot-observed-vm.ts';
import { RunRecorder } from '../../harness/report/run-recorder.ts';
import { sleep } from '../../harness/util/clock.ts';
import { cpuMsOfStat, processCpuMs } from './process-cpu.ts';

export interface PexpectWorkSample {
  harnessCpuMs: number;
  qemuCpuMs: number;
  /** CPU per thread of this process over the boot, most first, from /proc/self/task (clock ticks). */
  threadCpuMs: { name: string; cpuMs: number }[];
  /** How long the boot waited for host vCPU slots (another boot on this host held them). */
  slotWaitMs: number;
  /** Console reads and bytes up to the measurement. */
  reads: number;
  bytes: number;
}

/** With HARNESS_CPU_TRACE set, prints the main thread's CPU at each boot phase and every 20 ms jump of it. */
export async function pexpectWorkOnce(name: string, settleMs = 1500): Promise<PexpectWorkSample> {
  const threadsBefore = await threadCpu();
  const before = process.cpuUsage();
  const trace = process.env.HARNESS_CPU_TRACE ? traceMainThread() : undefined;
  const reads = { count: 0, bytes: 0 };
  // bootVm's own recorder, and a count of the console reads beside it.
  const vm = await bootObservedVm({ defaultImageAs: 'kernel', cpus: 1, name, keyInjection: 'none' }, trace ? { onPhase: (mark) => trace.note(`phase ${mark.phase}`) } : {}, () => [
    new RunRecorder(),
    { consoleBytes: (chunk: Uint8Array) => void ((reads.count += 1), (reads.bytes += chunk.length)) },
  ]);
  try {
    const answer = await vm.shell.succeed('cat /run/pre-nixos/storage-status');
    if (!answer.includes('STATE=plan-only')) throw new Error(`the guest answered ${JSON.stringify(answer)}`);
    trace?.note('command answered');
    await sleep(settleMs);
    const qemu = await processCpuMs(vm.qemuPid!);
    const cpu = process.cpuUsage(before);
    const threadsAfter = await threadCpu();
    trace?.stop();
    const threadCpuMs = [...threadsAfter].map(([id, { name: thread, cpuMs }]) => ({ name: `${thread}${id === process.pid ? ' (main)' : ''}`, cpuMs: cpuMs - (threadsBefore.get(id)?.cpuMs ?? 0) }));
    threadCpuMs.sort((a, b) => b.cpuMs - a.cpuMs);
    return { harnessCpuMs: (cpu.user + cpu.system) / 1000, qemuCpuMs: qemu, threadCpuMs, slotWaitMs: vm.report.cpus?.waitedMs ?? 0, reads: reads.count, bytes: reads.bytes };
  } finally {
    await vm.stop();
  }
}

async function threadCpu(): Promise<Map<number, { name: string; cpuMs: number }>> {
  const threads = new Map<number, { name: string; cpuMs: number }>();
  for (const id of await readdir('/proc/self/task')) {
    // A thread that ended between the listing and the read has nothing left to count.
    const stat = await readFile(`/proc/self/task/${id}/stat`, 'utf8').catch(() => undefined);
    if (stat) threads.set(Number(id), { name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), cpuMs: cpuMsOfStat(stat) });
  }
  return threads;
}

function traceMainThread(): { note(what: string): void; stop(): void } {
  const startedAtMs = performance.now();
  const mainCpuMs = () => cpuMsOfStat(readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8'));
  const base = mainCpuMs();
  let last = base;
  const lines: string[] = [];
  const at = () => `${(performance.now() - startedAtMs).toFixed(0).padStart(6)} ms`;
  const timer = setInterval(() => {
    const now = mainCpuMs();
    if (now - last >= 20) lines.push(`${at()}: main thread +${(now - last).toFixed(0)} ms CPU`);
    last = now;
  }, 100);
  return {
    note: (what) => lines.push(`${at()}: ${what} (main thread ${(mainCpuMs() - base).toFixed(0)} ms CPU so far)`),
    stop: () => {
      clearInterval(timer);
      process.stdout.write(`${lines.join('\n')}\n`);
    },
  };
}
