// Nothing outlives a run: QEMU dies with the process that started it, whether that process is killed
// with SIGKILL or SIGINT mid-boot or throws, and its run dir goes too.
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sweepStaleRuns } from '../../harness/boot/stale-run-sweep.ts';
import { sleep } from '../../harness/util/clock.ts';

async function qemuPidsNamed(name: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const argv = cmdline.split('\0');
    if (argv[0]?.endsWith('qemu-system-x86_64') && argv.includes(name)) pids.push(Number(entry));
  }
  return pids;
}

/** Polls until no QEMU of the run is left or the budget is spent; returns what is left. */
async function qemuLeftAfter(name: string, budgetMs: number): Promise<number[]> {
  const until = Date.now() + budgetMs;
  let left = await qemuPidsNamed(name);
  while (left.length > 0 && Date.now() < until) {
    await sleep(50);
    left = await qemuPidsNamed(name);
  }
  return left;
}

function startChild(name: string, mode: 'wait' | 'throw') {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'support', 'boot-child.ts'), name, mode], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const waitFor = async (text: string, budgetMs: number) => {
    const until = Date.now() + budgetMs;
    while (!output.includes(text)) {
      if (Date.now() > until) throw new Error(`child never printed ${text}; output:\n${output}`);
      await sleep(50);
    }
  };
  return { child, exited, waitFor, output: () => output };
}

async function runDirsOwnedBy(pid: number): Promise<string[]> {
  const dirs: string[] = [];
  for (const entry of await readdir(tmpdir())) {
    if (!entry.startsWith('boot-harness-')) continue;
    const owner = await readFile(join(tmpdir(), entry, 'owner.pid'), 'utf8').catch(() => '');
    if (Number(owner.trim()) === pid) dirs.push(entry);
  }
  return dirs;
}

describe('no QEMU outlives its run', () => {
  it.each(['SIGKILL', 'SIGINT'] as const)('%s to the test process mid-boot', async (signal) => {
    const name = `leak-${signal.toLowerCase()}-${process.pid}`;
    const run = startChild(name, 'wait');
    await run.waitFor('PHASE kernel', 120_000);
    expect(await qemuPidsNamed(name)).toHaveLength(1);
    run.child.kill(signal);
    await run.exited;
    expect(await qemuLeftAfter(name, 2000)).toEqual([]);
    if (signal === 'SIGINT') expect(await runDirsOwnedBy(run.child.pid!)).toEqual([]);
    else {
      // SIGKILL cannot be caught: the next run's sweep removes the dir.
      await sweepStaleRuns();
      expect(await runDirsOwnedBy(run.child.pid!)).toEqual([]);
    }
  }, 180_000);

  it('an error thrown after the boot', async () => {
    const name = `leak-throw-${process.pid}`;
    const run = startChild(name, 'throw');
    const exit = await run.exited;
    expect(run.output()).toContain('BOOTED');
    expect(exit.code).not.toBe(0);
    expect(await qemuLeftAfter(name, 2000)).toEqual([]);
    expect(await runDirsOwnedBy(run.child.pid!)).toEqual([]);
  }, 180_000);
});
