// The floor under "harness CPU": what node-pty alone costs to carry a boot's serial console, with no
// normalising, matching, logging, SSH or checks. QEMU runs the argv of a real harness boot (minus -S),
// the guest boots to its shell, and this process only drains the bytes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as pty from 'node-pty';
import { ReadCoalescer } from '../../harness/console/read-coalescer.ts';
import { processCpuMs } from './process-cpu.ts';

export interface DrainSample {
  chunks: number;
  bytes: number;
  drainCpuMs: number;
  qemuCpuMs: number;
}

/**
 * Boots `argv` (from report.qemu.argv) under node-pty until `doneText` has been seen and `settleMs` have
 * passed. With `coalesceMs`, reads are coalesced as PtyTransport does (the floor of the batched transport).
 */
/**
 * A harness boot's argv (report.qemu.argv) made to run on its own from `dir`: not paused, its QMP socket,
 * console log and network capture in `dir` (the run dir they named is gone once the boot stopped).
 */
export function argvInDir(argv: readonly string[], dir: string): string[] {
  return argv
    .filter((arg) => arg !== '-S')
    .map((arg) =>
      arg.startsWith('unix:')
        ? `unix:${join(dir, 'qmp.sock')},server=on,wait=off`
        : arg.replace(/logfile=[^,]*/, `logfile=${join(dir, 'console.raw')}`).replace(/^(filter-dump,.*\bfile=)[^,]*/, `$1${join(dir, 'network-start.pcap')}`),
    );
}

export async function drainOnly(argv: readonly string[], options: { coalesceMs?: number; coalesceMaxMs?: number; doneText?: string; settleMs?: number } = {}): Promise<DrainSample> {
  const doneText = options.doneText ?? 'pre-nixos: done';
  const settleMs = options.settleMs ?? 1500;
  const dir = await mkdtemp(join(tmpdir(), 'harness-bench-floor-'));
  const args = argvInDir(argv, dir).slice(1);
  const before = process.cpuUsage();
  const child = pty.spawn(argv[0]!, args, { name: 'xterm-256color', cols: 80, rows: 24, cwd: dir, env: process.env, encoding: null } as pty.IPtyForkOptions);
  const coalescer = new ReadCoalescer(child, options.coalesceMs ?? 0, undefined, options.coalesceMaxMs ?? options.coalesceMs ?? 0);
  let chunks = 0;
  let bytes = 0;
  let tail = '';
  let seen = false;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`"${doneText}" not seen in 120 s`)), 120_000);
      child.onData((data: string | Buffer) => {
        chunks++;
        bytes += data.length;
        coalescer.afterRead(data.length);
        if (seen) return;
        // Looked for before trimming: a read can carry the text and more than the kept tail after it.
        const joined = tail + data.toString('latin1');
        tail = joined.slice(-doneText.length);
        if (joined.includes(doneText)) {
          seen = true;
          clearTimeout(timer);
          setTimeout(resolve, settleMs);
        }
      });
      child.onExit(() => reject(new Error('QEMU exited before the guest was up')));
    });
    const cpu = process.cpuUsage(before);
    return { chunks, bytes, drainCpuMs: (cpu.user + cpu.system) / 1000, qemuCpuMs: await processCpuMs(child.pid) };
  } finally {
    coalescer.stop();
    child.kill('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await rm(dir, { recursive: true, force: true });
  }
}
