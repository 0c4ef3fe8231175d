// How many host cores are idle right now, from two readings of /proc/stat: the automatic vCPU choice
// takes only cores nobody is using. A second TCG vCPU on a core other work already uses makes a small
// guest slower, not faster (bench/results.md: a busybox boot with 2 vCPUs at load 3–4 took 1.3–1.6x
// as long as with 1), because the guest's spinning vCPU waits for the one the host descheduled.
import { readFile } from 'node:fs/promises';

/** Idle and total jiffies of all cores from the first (`cpu `) line of /proc/stat. */
export function parseCpuTimes(stat: string): { idle: number; total: number } {
  const line = stat.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) throw new Error('/proc/stat has no `cpu` line');
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest and guest_nice are already in user and nice).
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  return { idle: idle + iowait, total: user + nice + system + idle + iowait + irq + softirq + steal };
}

/** Idle cores between two /proc/stat readings. */
export function idleCoresBetween(before: string, after: string, cores: number): number {
  const a = parseCpuTimes(before);
  const b = parseCpuTimes(after);
  const total = b.total - a.total;
  return total > 0 ? (cores * (b.idle - a.idle)) / total : cores;
}

/** Idle host cores over the next `sampleMs`. */
export async function measureIdleCores(cores: number, sampleMs = 250): Promise<number> {
  const before = await readFile('/proc/stat', 'utf8');
  await new Promise((resolve) => setTimeout(resolve, sampleMs));
  return idleCoresBetween(before, await readFile('/proc/stat', 'utf8'), cores);
}
