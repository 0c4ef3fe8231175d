// Where the harness's CPU over one boot goes: a warm-up boot, then HARNESS_BENCH_RUNS boots doing
// pexpect's work (pexpect-work.ts), each with its CPU per thread; with HARNESS_CPU_PROFILE=<file> the last
// one is also profiled (V8 CPU profile of the main thread, open it in Chrome DevTools), and the functions
// with the most self time are printed.
// Run: HARNESS_CACHE_DIR=... node --import tsx bench/boot/cpu-profile.ts
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { loadavg } from 'node:os';
import { pexpectWorkOnce } from './pexpect-work.ts';

const runs = Number(process.env.HARNESS_BENCH_RUNS ?? 3);
const profilePath = process.env.HARNESS_CPU_PROFILE;
await pexpectWorkOnce('cpu-profile-warm-up');
console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
for (let i = 0; i < runs; i++) {
  const profiling = profilePath !== undefined && i === runs - 1;
  const session = profiling ? new Session() : undefined;
  if (session) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 });
    await session.post('Profiler.start');
  }
  const sample = await pexpectWorkOnce(`cpu-profile-${i}`);
  console.log(
    `harness ${sample.harnessCpuMs.toFixed(0)} ms / QEMU ${sample.qemuCpuMs.toFixed(0)} ms = ${((sample.harnessCpuMs / sample.qemuCpuMs) * 100).toFixed(2)} %; slot wait ${sample.slotWaitMs} ms; ${sample.reads} reads of ${(sample.bytes / sample.reads).toFixed(0)} bytes; threads: ${sample.threadCpuMs
      .filter((t) => t.cpuMs > 0)
      .map((t) => `${t.name} ${t.cpuMs.toFixed(0)}`)
      .join(', ')}`,
  );
  if (session) {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    await writeFile(profilePath!, JSON.stringify(profile));
    printTopSelf(profile);
  }
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

function printTopSelf(profile: { nodes: ProfileNode[]; samples?: number[]; timeDeltas?: number[] }): void {
  const selfUs = new Map<number, number>();
  profile.samples?.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas?.[i] ?? 0)));
  const byFunction = new Map<string, number>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const key = `${functionName || '(anonymous)'} ${url.replace(/^.*\/(node_modules|harness)\//, '$1/')}:${lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + (selfUs.get(node.id) ?? 0));
  }
  const top = [...byFunction].filter(([key]) => !key.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, 40);
  for (const [key, us] of top) console.log(`${(us / 1000).toFixed(1).padStart(7)} ms  ${key}`);
}
