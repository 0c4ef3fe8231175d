// CPU time of a process or thread from /proc, as the boot benchmarks compare it (QEMU's, the harness's
// threads'): utime + stime, in ms.
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';

/** Clock ticks per second, the unit of /proc's CPU times. */
export const clockTicks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

/** utime + stime of a /proc/<pid>/stat or /proc/self/task/<tid>/stat text, in ms. */
export function cpuMsOfStat(stat: string): number {
  // Fields 14 and 15, index 11 and 12 after the command name (which may hold spaces and parentheses).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
}

/** CPU time so far of process `pid` (e.g. QEMU's), in ms. */
export async function processCpuMs(pid: number): Promise<number> {
  return cpuMsOfStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
}
