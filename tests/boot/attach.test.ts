// The interactive console for real: `harness boot --attach` and `harness boot --keep-running` + `harness
// attach`, driven under node-pty like a person at a terminal. Typed commands reach the guest, Ctrl-]
// detaches, the session lands in the run's logs, and no QEMU is left behind.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as pty from 'node-pty';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../../harness/util/clock.ts';
import { castOutput } from '../support/cast-output.ts';

const root = join(import.meta.dirname, '../..');
const bin = join(root, 'bin', 'harness.js');
const harnessPrompt = /<hp-[A-Z]+># /;
let logs: string;
const killers: (() => void)[] = [];

beforeAll(async () => {
  logs = await mkdtemp(join(tmpdir(), 'attach-test-'));
});

afterAll(async () => {
  // Only on a failed test is anything still running here; its QEMU dies with it (PR_SET_PDEATHSIG).
  for (const kill of killers) kill();
  await rm(logs, { recursive: true, force: true });
});

function env(): NodeJS.ProcessEnv {
  return { ...process.env, HARNESS_LOG_DIR: logs, NO_COLOR: '1' };
}

/** Runs `harness ...` on a pseudo-terminal, as a person would. */
function onTerminal(args: string[]) {
  const child = pty.spawn(process.execPath, [bin, ...args], { name: 'xterm-256color', cols: 100, rows: 30, cwd: root, env: env() });
  killers.push(() => child.kill('SIGKILL'));
  let output = '';
  child.onData((data) => (output += data));
  const exited = new Promise<{ exitCode: number; signal?: number }>((resolve) => child.onExit(resolve));
  return { child, exited, output: () => output, waitFor: (pattern: RegExp, budgetMs: number, from = 0) => waitFor(() => output, pattern, budgetMs, from) };
}

/** Runs `harness ...` with pipes: no terminal anywhere. */
function withPipes(args: string[]) {
  const child: ChildProcess = spawn(process.execPath, [bin, ...args], { cwd: root, env: env(), stdio: ['pipe', 'pipe', 'pipe'] });
  killers.push(() => child.kill('SIGKILL'));
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, exited, output: () => output, waitFor: (pattern: RegExp, budgetMs: number) => waitFor(() => output, pattern, budgetMs, 0) };
}

async function waitFor(output: () => string, pattern: RegExp, budgetMs: number, from: number): Promise<RegExpExecArray> {
  const until = Date.now() + budgetMs;
  for (;;) {
    const match = pattern.exec(output().slice(from));
    if (match) return match;
    if (Date.now() > until) throw new Error(`${pattern} not seen after ${budgetMs} ms; output:\n${output().slice(-3000)}`);
    await sleep(50);
  }
}

/** QEMU processes started with `-name <name>`. */
async function qemuNamed(name: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (argv[0]?.endsWith('qemu-system-x86_64') && argv[argv.indexOf('-name') + 1] === name) pids.push(Number(entry));
  }
  return pids;
}

async function runFolder(name: string): Promise<string> {
  const folder = (await readdir(logs)).find((entry) => entry.endsWith(`-${name}`));
  if (!folder) throw new Error(`no run folder for ${name} in ${logs}`);
  return join(logs, folder);
}

describe('harness boot --attach', () => {
  it('runs the checks, hands the console to the terminal, Ctrl-] stops the VM; the session is in the logs', async () => {
    const name = `attach-here-${process.pid}`;
    const session = onTerminal(['boot', '--attach', '--name', name]);
    const attached = await session.waitFor(/Attached to the serial console of .*: Ctrl-\] detaches and stops the VM\./, 300_000);
    const afterBanner = attached.index + attached[0].length;
    // The checks ran first, and the table was shown before the console.
    expect(session.output().slice(0, afterBanner)).toMatch(/PASS\s+pre-nixos storage status is plan-only/);
    await session.waitFor(harnessPrompt, 10_000, afterBanner);
    expect(await qemuNamed(name)).toHaveLength(1);

    session.child.write('echo attach-$((6*7))\r');
    await session.waitFor(/attach-42/, 30_000, afterBanner);
    session.child.write('\x1d');
    const exit = await session.exited;
    expect(exit.exitCode).toBe(0);
    expect(session.output()).toMatch(/Result: PASS \(6\/6 checks passed\)/);
    expect(await qemuNamed(name)).toEqual([]);

    const folder = await runFolder(name);
    const report = JSON.parse(await readFile(join(folder, 'report.json'), 'utf8')) as { phases: { phase: string }[]; passed: boolean };
    expect(report.phases.map((mark) => mark.phase)).toContain('stopped');
    expect(report.passed).toBe(true);
    expect(await readFile(join(folder, 'console.raw'), 'latin1')).toContain('attach-42');
    // The cast's events split text where the reads fell ("at" + "tach-42" in one CI run): look in them joined.
    expect(await castOutput(join(folder, 'console.cast'))).toContain('attach-42');
  }, 400_000);
});

describe('harness boot --keep-running + harness attach', () => {
  it('serves the console; attach by name and by folder, Ctrl-] detaches and the VM keeps running; --stop stops it', async () => {
    const name = `keep-running-${process.pid}`;
    // The boot process needs no terminal.
    const boot = withPipes(['boot', '--keep-running', '--no-checks', '--name', name]);
    const notice = await boot.waitFor(/harness attach (\S+) --stop\n/, 300_000);
    const folder = notice[1]!;
    expect(dirname(folder)).toBe(logs);
    const pointer = JSON.parse(await readFile(join(folder, 'attach.json'), 'utf8')) as { socket: string; pid: number };
    expect(pointer.pid).toBe(boot.child.pid);
    expect((await stat(pointer.socket)).mode & 0o777).toBe(0o600);
    expect((await stat(dirname(pointer.socket))).mode & 0o777).toBe(0o700);
    const [qemuPid] = await qemuNamed(name);
    expect(qemuPid).toBeDefined();

    // Without a terminal, attach refuses and says what to do.
    const piped = withPipes(['attach', name]);
    expect((await piped.exited).code).toBe(2);
    expect(piped.output()).toMatch(/stdin: is not a terminal[\s\S]*add --stop/);

    const first = onTerminal(['attach', name]);
    await first.waitFor(/Ctrl-\] detaches, the VM keeps running\.[\s\S]*<hp-[A-Z]+># /, 15_000);
    first.child.write('echo attach-$((6*7))\r');
    await first.waitFor(/attach-42/, 30_000);
    first.child.write('\x1d');
    expect((await first.exited).exitCode).toBe(0);
    expect(first.output()).toMatch(/Detached from .*; the VM keeps running/);
    expect(await qemuNamed(name)).toEqual([qemuPid]);

    // Again, by folder: the greeting shows the prompt the last session left.
    const second = onTerminal(['attach', folder]);
    await second.waitFor(/Ctrl-\] detaches, the VM keeps running\.\r?\n<hp-[A-Z]+># /, 15_000);
    second.child.write('echo again-$((1+1))\r');
    await second.waitFor(/again-2/, 30_000);
    second.child.write('\x1d');
    expect((await second.exited).exitCode).toBe(0);
    expect(await qemuNamed(name)).toEqual([qemuPid]);

    const stop = withPipes(['attach', folder, '--stop', '--json']);
    expect((await stop.exited).code).toBe(0);
    // --no-checks proved a boot, not checks: the outcome says so, and the exit code is 0 as the boot's was.
    expect(JSON.parse(stop.output().trim())).toEqual({ run: folder, stopped: true, outcome: 'booted', passed: false });
    expect(await boot.exited).toEqual({ code: 0, signal: null });
    expect(boot.output()).toMatch(/Result: BOOTED: prompt reached \(no checks run\)\nLogs: /);
    expect(await qemuNamed(name)).toEqual([]);
    await expect(stat(join(folder, 'attach.json'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(stat(dirname(pointer.socket))).rejects.toMatchObject({ code: 'ENOENT' });
    const raw = await readFile(join(folder, 'console.raw'), 'latin1');
    expect(raw).toContain('attach-42');
    expect(raw).toContain('again-2');

    const late = withPipes(['attach', folder, '--stop']);
    expect((await late.exited).code).toBe(2);
    expect(late.output()).toMatch(/is not running \(no attach\.json/);
  }, 400_000);

  it('the guest powering off ends the attached session and the boot process, with no QEMU left', async () => {
    const name = `keep-running-poweroff-${process.pid}`;
    const boot = withPipes(['boot', '--keep-running', '--no-checks', '--name', name]);
    const notice = await boot.waitFor(/harness attach (\S+) --stop\n/, 300_000);
    const session = onTerminal(['attach', notice[1]!]);
    await session.waitFor(/Ctrl-\] detaches, the VM keeps running\.[\s\S]*<hp-[A-Z]+># /, 15_000);
    session.child.write('poweroff -f\r');
    expect((await session.exited).exitCode).toBe(0);
    expect(session.output()).toMatch(/reboot: Power down[\s\S]*The VM of .* stopped\./);
    expect(await boot.exited).toEqual({ code: 0, signal: null });
    expect(await qemuNamed(name)).toEqual([]);
  }, 400_000);

  it('Ctrl-C (SIGINT) in the boot process stops the VM and cleans up; the report records the interruption', async () => {
    const name = `keep-running-sigint-${process.pid}`;
    const boot = withPipes(['boot', '--keep-running', '--no-checks', '--name', name]);
    const notice = await boot.waitFor(/harness attach (\S+) --stop\n/, 300_000);
    const folder = notice[1]!;
    expect(await qemuNamed(name)).toHaveLength(1);
    boot.child.kill('SIGINT');
    const exit = await boot.exited;
    // An orderly stop and exit (not death by the signal), but an interruption: exit code 1, like the report.
    expect(exit).toEqual({ code: 1, signal: null });
    expect(boot.output()).toMatch(/Result: FAIL/);
    expect(await qemuNamed(name)).toEqual([]);
    await expect(stat(join(folder, 'attach.json'))).rejects.toMatchObject({ code: 'ENOENT' });
    const report = JSON.parse(await readFile(join(folder, 'report.json'), 'utf8')) as { phases: { phase: string }[]; error?: { message: string } };
    expect(report.phases.map((mark) => mark.phase)).toContain('stopped');
    expect(report.error?.message).toBe('interrupted by SIGINT');
  }, 400_000);
});
