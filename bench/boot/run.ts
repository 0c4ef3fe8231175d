// Boot benchmarks: cold boot per phase (median of N), harness CPU vs QEMU CPU over a full boot with all
// checks, and 1/2/4 concurrent boots. Prints a table and writes bench/results-boot.md.
// Run: npm run bench:boot  (HARNESS_BENCH_RUNS=5 by default)
import { readFile, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { bootVm } from '../../harness/boot/boot-vm.ts';
import type { BootOptions } from '../../harness/boot/boot-options.ts';
import { runPreNixosChecks } from '../../harness/checks/pre-nixos-suite.ts';
import { restoreVm, snapshotFor } from '../../harness/boot/vm-snapshot.ts';
import { monotonicNowMs } from '../../harness/util/clock.ts';
import { drainOnly } from './pty-floor.ts';

const runs = Number(process.env.HARNESS_BENCH_RUNS ?? 5);
const clockTicks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());
const lines: string[] = [];
const say = (line = '') => {
  lines.push(line);
  process.stdout.write(`${line}\n`);
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function qemuCpuMs(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of /proc/pid/stat; index 11 and 12 after the command name.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
}

interface BootSample {
  phases: Record<string, number>;
  totalMs: number;
  harnessCpuMs: number;
  qemuCpuMs: number;
  qemuArgv: string[];
}

async function bootOnce(options: BootOptions): Promise<BootSample> {
  const cpuBefore = process.cpuUsage();
  const startedAtMs = monotonicNowMs();
  const vm = await bootVm(options);
  try {
    await vm.ssh();
    const outcome = await runPreNixosChecks(vm, { keyPresent: true, storage: 'plan-only' });
    if (!outcome.passed) throw new Error(`checks failed in ${vm.logDir}`);
    const qemu = await qemuCpuMs(vm.qemuPid!);
    const cpu = process.cpuUsage(cpuBefore);
    const phases: Record<string, number> = {};
    for (const mark of vm.timeline.all) phases[mark.phase] = mark.atMs;
    return { phases, totalMs: monotonicNowMs() - startedAtMs, harnessCpuMs: (cpu.user + cpu.system) / 1000, qemuCpuMs: qemu, qemuArgv: vm.report.qemu.argv };
  } finally {
    await vm.stop();
  }
}

const seconds = (ms: number | undefined) => (ms === undefined ? '–' : (ms / 1000).toFixed(2));

// One untimed boot first: module loading and JIT warm-up are not what a suite of boots pays each time.
await bootOnce({ defaultImageAs: 'kernel', name: 'bench-warm-up' });

say(`# Boot benchmarks`);
say();
say(`Command: \`npm run bench:boot\` (HARNESS_BENCH_RUNS=${runs}); ${cpus().length} CPUs; load average at start ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ${new Date().toISOString()}`);
say();
say('## Cold boot of the default image, median of runs (seconds since QEMU started)');
say();
say('| source | kernel | userspace | prompt | ssh | checks done | harness CPU / QEMU CPU |');
say('|---|---|---|---|---|---|---|');
const cpuRatios: number[] = [];
let coldIsoPromptMs = 0;
let coldIsoSshMs = 0;
let directArgv: string[] = [];
let directRatio = 0;
for (const [label, options] of [
  ['ISO (isolinux)', { defaultImageAs: 'iso' }],
  ['direct kernel+initrd', { defaultImageAs: 'kernel' }],
  ['iPXE HTTP chain', { ipxe: true }],
] as [string, BootOptions][]) {
  const samples: BootSample[] = [];
  for (let i = 0; i < runs; i++) samples.push(await bootOnce({ ...options, name: `bench-${label.split(' ')[0]!.toLowerCase()}-${i}` }));
  const phase = (name: string) => median(samples.filter((s) => s.phases[name] !== undefined).map((s) => s.phases[name]!));
  const ratio = median(samples.map((s) => s.harnessCpuMs / s.qemuCpuMs));
  cpuRatios.push(ratio);
  if (label.startsWith('direct')) {
    directArgv = samples[0]!.qemuArgv;
    directRatio = ratio;
  }
  if (label.startsWith('ISO')) {
    coldIsoPromptMs = phase('prompt');
    coldIsoSshMs = phase('ssh');
  }
  say(`| ${label} | ${seconds(phase('kernel'))} | ${seconds(phase('userspace'))} | ${seconds(phase('prompt'))} | ${seconds(phase('ssh'))} | ${seconds(median(samples.map((s) => s.totalMs)))} | ${(ratio * 100).toFixed(1)} % |`);
}
say();
say('Harness CPU is measured with process.cpuUsage() over bootVm + SSH + all checks; QEMU CPU from /proc/<pid>/stat.');
say();
{
  // The same direct boot with nothing but node-pty draining the console: the floor of the mandated transport.
  const floors = [];
  for (let i = 0; i < runs; i++) floors.push(await drainOnly(directArgv, qemuCpuMs));
  const floorRatio = median(floors.map((f) => f.drainCpuMs / f.qemuCpuMs));
  say('### The floor: node-pty alone');
  say();
  say('| direct kernel+initrd boot to the shell | reads | CPU of this process / QEMU CPU |');
  say('|---|---|---|');
  say(`| node-pty draining the console, nothing else | ${median(floors.map((f) => f.chunks))} (${median(floors.map((f) => f.bytes))} bytes) | ${(floorRatio * 100).toFixed(1)} % |`);
  say(`| the harness: boot, prompt, SSH, all checks | — | ${(directRatio * 100).toFixed(1)} % |`);
  say();
  const bytesPerRead = median(floors.map((f) => f.bytes / f.chunks));
  say(`QEMU writes the guest UART a few bytes at a time (${bytesPerRead.toFixed(1)} bytes per read here), and Node pays for each read before any harness code runs.`);
  say();
}
say('## Snapshot restore vs cold boot (default ISO), median of runs');
say();
{
  const options: BootOptions = { defaultImageAs: 'iso', name: 'bench-snapshot' };
  await snapshotFor(options);
  const serial: number[] = [];
  const ssh: number[] = [];
  for (let i = 0; i < runs; i++) {
    const startedAtMs = monotonicNowMs();
    const vm = await restoreVm(options);
    serial.push(monotonicNowMs() - startedAtMs);
    await vm.ssh();
    ssh.push(monotonicNowMs() - startedAtMs);
    await vm.stop();
  }
  const cold = coldIsoSshMs;
  say('| measure | restore | cold boot | cold / restore |');
  say('|---|---|---|---|');
  say(`| to serial shell ready | ${seconds(median(serial))} s | ${seconds(coldIsoPromptMs)} s | ${(coldIsoPromptMs / median(serial)).toFixed(1)}× |`);
  say(`| to SSH ready | ${seconds(median(ssh))} s | ${seconds(cold)} s | ${(cold / median(ssh)).toFixed(1)}× |`);
  say();
  say('Restore times are from the bootVm call (a new QEMU with -loadvm, drives copied) to a shell round trip, then to a working SSH exchange.');
  say();
}
say('## Concurrent boots (direct kernel+initrd, all checks)');
say();
say(`bootVm admits ${process.env.HARNESS_MAX_BOOTS ?? 'one boot per CPU'} at a time in one process (HARNESS_MAX_BOOTS); the rest queue, so "wall per boot" includes the wait.`);
say();
say('| concurrent | wall per boot (median) | total wall | per-boot slowdown vs 1 |');
say('|---|---|---|---|');
let single = 0;
for (const count of [1, 2, 4]) {
  const startedAtMs = monotonicNowMs();
  const samples = await Promise.all(
    Array.from({ length: count }, (_, i) => bootOnce({ defaultImageAs: 'kernel', name: `bench-parallel-${count}-${i}` })),
  );
  const total = monotonicNowMs() - startedAtMs;
  const perBoot = median(samples.map((s) => s.totalMs));
  if (count === 1) single = perBoot;
  say(`| ${count} | ${seconds(perBoot)} s | ${seconds(total)} s | ${(perBoot / single).toFixed(2)}× |`);
}
say();
say(`Load average at end ${loadavg().map((l) => l.toFixed(2)).join(' ')}.`);
await writeFile(new URL('../results-boot.md', import.meta.url), `${lines.join('\n')}\n`);
