// `harness attach <run> --stop` exits with the stopped run's verdict, read from its report.json; an
// unreadable report is exit 1 saying so, never a pass. A small server plays the boot process's side.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIO } from '../../../harness/cli/cli-io.ts';
import { attachPointerFile } from '../../../harness/boot/run-directory.ts';
import { main } from '../../../harness/cli/main.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'attach-stop-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A kept-running run whose "boot process" writes `report` (or nothing) when asked to stop. */
async function keptRun(name: string, report: string | undefined): Promise<{ folder: string; server: Server }> {
  const folder = join(dir, name);
  await mkdir(folder);
  const socket = join(folder, 'console.sock');
  const server = createServer((connection) => {
    connection.once('data', async () => {
      connection.write('stopping\n');
      if (report !== undefined) await writeFile(join(folder, 'report.json'), report);
      connection.end('stopped\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  await writeFile(join(folder, attachPointerFile), JSON.stringify({ socket, pid: process.pid, name, logDir: folder }));
  return { folder, server };
}

async function stop(folder: string) {
  let stdout = '';
  let stderr = '';
  const io: CliIO = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), isTTY: false, env: process.env, cwd: dir };
  const code = await main(['attach', folder, '--stop', '--json'], io);
  return { code, stdout, stderr };
}

describe('harness attach --stop: the exit code is the verdict', () => {
  it.each([
    ['checks passed', { passed: true, outcome: 'passed' }, 0, { outcome: 'passed', passed: true }],
    ['a check failed', { passed: false, outcome: 'failed' }, 1, { outcome: 'failed', passed: false }],
    ['no checks asked for, booted', { passed: false, outcome: 'booted' }, 0, { outcome: 'booted', passed: false }],
    ['an older report without outcome that failed', { passed: false }, 1, { outcome: 'failed', passed: false }],
  ])('%s → exit %s', async (name, report, code, json) => {
    const { folder, server } = await keptRun(name.replaceAll(' ', '-'), JSON.stringify(report));
    try {
      const result = await stop(folder);
      expect(result.code, result.stderr).toBe(code);
      expect(JSON.parse(result.stdout)).toEqual({ run: folder, stopped: true, ...json });
    } finally {
      server.close();
    }
  });

  it.each([
    ['no report.json', undefined, /report .*report\.json cannot be read \(ENOENT\): its checks' verdict is unknown/],
    ['a report that is not JSON', '{"passed": tr', /report .*report\.json is not JSON/],
    ['a report without a verdict', '{"name": "x"}', /report .*report\.json has no `passed` field/],
  ])('%s → exit 1, saying so', async (name, report, message) => {
    const { folder, server } = await keptRun(name.replaceAll(' ', '-'), report);
    try {
      const result = await stop(folder);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(message);
    } finally {
      server.close();
    }
  });
});
