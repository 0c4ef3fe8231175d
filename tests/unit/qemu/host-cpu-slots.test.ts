import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HostCpuSlots } from '../../../harness/qemu/host-cpu-slots.ts';

const holderScript = new URL('./support/slot-holder.ts', import.meta.url).pathname;

let dir: string;
const children: ChildProcess[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'harness-slots-'));
});

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

function holder(capacity: number, vcpus: number, hold: number | 'forever'): { child: ChildProcess; lines: string[]; line: (prefix: string) => Promise<string>; exited: Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', holderScript, dir, String(capacity), String(vcpus), String(hold)], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  let buffer = '';
  child.stdout!.on('data', (data: Buffer) => {
    buffer += data.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop()!;
    lines.push(...parts);
    for (const waiter of waiters.splice(0)) waiter();
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const line = async (prefix: string) => {
    for (;;) {
      const found = lines.find((l) => l.startsWith(prefix));
      if (found) return found;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  return { child, lines, line, exited };
}

/** Whether `acquire` is still waiting after `ms` (then it is aborted). */
async function stillWaitingAfter(slots: HostCpuSlots, request: Parameters<HostCpuSlots['acquire']>[0], ms: number): Promise<boolean> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error('waited')), ms);
  try {
    const grant = await slots.acquire(request, controller.signal);
    grant.release();
    return false;
  } catch (error) {
    if ((error as Error).message !== 'waited') throw error;
    return true;
  } finally {
    clearTimeout(timer);
  }
}

describe('HostCpuSlots', () => {
  it('an automatic request takes what is free, at least one slot; an exact one waits for all it asks', async () => {
    const slots = new HostCpuSlots({ dir, capacity: 3, pollMs: 20 });
    const first = await slots.acquire({ vcpus: 2 });
    expect(first.vcpus).toBe(2);
    const second = await slots.acquire({ upTo: 4 });
    expect(second.vcpus).toBe(1);
    expect(await stillWaitingAfter(slots, { upTo: 2 }, 300)).toBe(true);
    second.release();
    second.release(); // idempotent
    expect(await stillWaitingAfter(slots, { vcpus: 2 }, 300)).toBe(true);
    first.release();
    const third = await slots.acquire({ vcpus: 8 });
    expect(third.vcpus).toBe(3); // more than the host has: all of it
    third.release();
  });

  it('several processes never hold more slots than the host has', async () => {
    const holders = Array.from({ length: 4 }, () => holder(2, 1, 400));
    await Promise.all(holders.map((h) => h.exited));
    const events: { atMs: number; delta: number }[] = [];
    for (const h of holders) {
      const acquired = h.lines.find((l) => l.startsWith('acquired'));
      const released = h.lines.find((l) => l.startsWith('released'));
      expect(acquired, h.lines.join('\n')).toBeDefined();
      expect(released).toBeDefined();
      events.push({ atMs: Number(acquired!.split(' ')[1]), delta: 1 }, { atMs: Number(released!.split(' ')[1]), delta: -1 });
    }
    // A release is printed just before the slot is freed, so at equal times it counts first.
    events.sort((a, b) => a.atMs - b.atMs || a.delta - b.delta);
    let held = 0;
    let most = 0;
    for (const event of events) most = Math.max(most, (held += event.delta));
    expect(most).toBe(2);
  }, 60_000);

  it('a waiting request tries again in one helper process, not a new process per try (each cost a spawn of ours)', async () => {
    const slots = new HostCpuSlots({ dir, capacity: 1, pollMs: 20 });
    const held = await slots.acquire({ vcpus: 1 });
    const controller = new AbortController();
    const waiting = slots.acquire({ vcpus: 1 }, controller.signal).catch((error: unknown) => error);
    const helpers = new Set<number>();
    const counts: number[] = [];
    // Its helper starts after a mkdir; a process per try would be gone again by the first sample as likely as not.
    while ((await helperPids(dir)).length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    // ~25 tries at 20 ms: one process per try would come and go (and show as many pids, or none between tries).
    for (let i = 0; i < 10; i++) {
      const pids = await helperPids(dir);
      counts.push(pids.length);
      for (const pid of pids) helpers.add(pid);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    controller.abort(new Error('gave up'));
    expect(((await waiting) as Error).message).toBe('gave up');
    // The holder's helper and the waiter's, the same two the whole time.
    expect(counts).toEqual(Array(10).fill(2));
    expect(helpers.size).toBe(2);
    held.release();
    const grant = await slots.acquire({ vcpus: 1 }, AbortSignal.timeout(5000));
    grant.release();
  });

  it('grants one after another in one process reuse one helper: a boot after the first spawns nothing for its slots', async () => {
    const slots = new HostCpuSlots({ dir, capacity: 2, pollMs: 20 });
    const seen = new Set<number>();
    for (let i = 0; i < 3; i++) {
      const grant = await slots.acquire({ vcpus: 2 });
      expect(grant.vcpus).toBe(2);
      for (const pid of await helperPids(dir)) seen.add(pid);
      grant.release();
    }
    // Each boot makes its own HostCpuSlots for the same dir: it finds the same helper.
    const again = await new HostCpuSlots({ dir, capacity: 2, pollMs: 20 }).acquire({ upTo: 2 });
    expect(again.vcpus).toBe(2);
    for (const pid of await helperPids(dir)) seen.add(pid);
    again.release();
    expect(seen.size).toBe(1);
  });

  it('a helper kept after its release has let go of the slots: another process gets them, and its own helper goes with it', async () => {
    const slots = new HostCpuSlots({ dir, capacity: 2, pollMs: 20 });
    const grant = await slots.acquire({ vcpus: 2 });
    const other = holder(2, 2, 10);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(other.lines.filter((line) => line.startsWith('acquired'))).toEqual([]);
    grant.release();
    await other.line('acquired');
    // The other process releases and ends with its helper idle: the helper must not keep it alive, and goes too.
    await other.exited;
    while ((await helperPids(dir)).length > 1) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await helperPids(dir)).toHaveLength(1);
    const mine = await slots.acquire({ vcpus: 2 }, AbortSignal.timeout(5000));
    mine.release();
  }, 60_000);

  it('slots held by a process that is SIGKILLed are free again at once', async () => {
    const slots = new HostCpuSlots({ dir, capacity: 2, pollMs: 20 });
    const victim = holder(2, 2, 'forever');
    await victim.line('acquired');
    expect(await stillWaitingAfter(slots, { upTo: 2 }, 300)).toBe(true);
    victim.child.kill('SIGKILL');
    await victim.exited;
    const grant = await slots.acquire({ vcpus: 2 }, AbortSignal.timeout(5000));
    expect(grant.vcpus).toBe(2);
    grant.release();
  }, 60_000);
});

/** Pids of the slot helpers working on `slotDir` (their argv names it). */
async function helperPids(slotDir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    // A process that ended between the listing and the read is not a helper any more.
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes('vcpu-slots') && cmdline.includes(slotDir)) pids.push(Number(entry));
  }
  return pids;
}
