// The one runner of short-lived children (execa underneath): real processes, no QEMU. The child is always
// reaped: a test reads its pid and checks it is gone.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runProcess, runUntilOutput } from '../../../harness/util/short-process.ts';

describe('runUntilOutput (real processes, no QEMU)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'run-until-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const isAlive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  it('resolves on the pattern and kills the process', async () => {
    const pidFile = join(dir, 'pid');
    const result = await runUntilOutput('/bin/sh', ['-c', `echo $$ > ${pidFile}; printf 'Linux ver'; printf 'sion 6.1\\n'; exec sleep 30`], /Linux version/, 10_000);
    expect(result.matched).toBe(true);
    expect(isAlive(Number(await readFile(pidFile, 'utf8')))).toBe(false);
  });

  it('gives up after the time limit and kills the process', async () => {
    const pidFile = join(dir, 'pid');
    const result = await runUntilOutput('/bin/sh', ['-c', `echo $$ > ${pidFile}; exec sleep 30`], /Linux version/, 200);
    expect(result).toMatchObject({ matched: false, exitCode: null, signal: null });
    expect(isAlive(Number(await readFile(pidFile, 'utf8')))).toBe(false);
  });

  it('reports an early exit with its stderr', async () => {
    const result = await runUntilOutput('/bin/sh', ['-c', 'echo "qemu: error: failed to set MSR" >&2; exit 3'], /Linux version/, 10_000);
    expect(result).toMatchObject({ matched: false, exitCode: 3 });
    expect(result.stderrTail).toContain('failed to set MSR');
  });

  it('reports a program that cannot be started', async () => {
    const result = await runUntilOutput('/no/such/qemu', [], /Linux version/, 1_000);
    expect(result.matched).toBe(false);
    expect(result.spawnError).toContain('ENOENT');
  });
});

describe('runProcess', () => {
  it('captures both streams and the exit code, never throwing for a failure', async () => {
    const result = await runProcess('/bin/sh', ['-c', 'echo out; echo err >&2; exit 4'], { timeoutMs: 10_000 });
    expect(result).toEqual({ exitCode: 4, stdout: 'out\n', stderr: 'err\n', timedOut: false, spawnError: undefined });
  });

  it('kills a child past its time limit and says so', async () => {
    const result = await runProcess('/bin/sh', ['-c', 'exec sleep 30'], { timeoutMs: 200 });
    expect(result).toMatchObject({ exitCode: undefined, timedOut: true, spawnError: undefined });
  });

  it('reports a program that cannot be started', async () => {
    const result = await runProcess('/no/such/program', ['--version'], { timeoutMs: 1_000 });
    expect(result).toMatchObject({ exitCode: undefined, stdout: '', timedOut: false });
    expect(result.spawnError).toContain('ENOENT');
  });
});
