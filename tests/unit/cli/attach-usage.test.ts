// Bad uses of `boot --attach`, `boot --keep-running` and `attach`: exit 2 with the fix, before any QEMU
// starts (no run folder appears). In-process, no QEMU.
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIO, TerminalInput } from '../../../harness/cli/cli-io.ts';
import { attachPointerFile } from '../../../harness/boot/run-directory.ts';
import { main } from '../../../harness/cli/main.ts';

let dir: string;
let logs: string;
const keyboard: TerminalInput = { isTTY: true, setRawMode: () => undefined, onData: () => () => undefined };
const pipe: TerminalInput = { ...keyboard, isTTY: false };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'attach-usage-'));
  logs = join(dir, 'logs');
  await mkdir(join(logs, '2026-01-01T00-00-00Z-plain-run'), { recursive: true });
  const stale = join(logs, '2026-01-01T00-00-00Z-stale-run');
  await mkdir(stale);
  // A pointer left by a boot process that was SIGKILLed: its socket is gone and pid 2^22+1 cannot exist.
  await writeFile(join(stale, attachPointerFile), JSON.stringify({ socket: join(dir, 'gone.sock'), pid: 4_194_305, name: 'stale-run', logDir: stale }));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function harness(args: string[], stdin: TerminalInput | undefined) {
  let stdout = '';
  let stderr = '';
  const io: CliIO = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), isTTY: false, stdin, env: { ...process.env, HARNESS_LOG_DIR: logs }, cwd: dir };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

describe('bad uses of the interactive console', () => {
  const rows: [string, string[], TerminalInput | undefined, RegExp][] = [
    ['boot --attach without a terminal on stdin', ['boot', '--attach'], pipe, /--attach: stdin is not a terminal[\s\S]*Fix: run it from an interactive terminal, or boot with --keep-running/],
    ['boot --attach with no stdin at all', ['boot', '--attach'], undefined, /--attach: stdin is not a terminal/],
    ['boot --attach with --json', ['boot', '--attach', '--json'], keyboard, /--attach with --json[\s\S]*Fix: drop --json/],
    ['boot --attach with --keep-running', ['boot', '--attach', '--keep-running'], keyboard, /--attach with --keep-running[\s\S]*Fix: use --keep-running, then `harness attach <run>`/],
    ['attach without a terminal on stdin', ['attach', 'plain-run'], pipe, /stdin: is not a terminal[\s\S]*Fix: .*add --stop/],
    ['attach --json without --stop', ['attach', 'plain-run', '--json'], keyboard, /--json: only applies with --stop/],
    ['attach to a run name that does not exist', ['attach', 'no-such-run'], keyboard, /run `no-such-run`: no run folder of that name in .*logs[\s\S]*Fix:/],
    ['attach to a run that was not kept running', ['attach', 'plain-run'], keyboard, /plain-run: is not running \(no attach\.json[\s\S]*Fix: boot it with `harness boot --keep-running`/],
    ['attach --stop to a run whose boot process is gone', ['attach', 'stale-run', '--stop'], pipe, /stale-run: is not running: its boot process \(pid 4194305\) is gone/],
  ];

  it.each(rows)('%s → exit 2 with the fix', async (_title, args, stdin, message) => {
    const before = await readdir(logs);
    const result = await harness(args, stdin);
    expect(result.stderr).toMatch(message);
    expect(result.code).toBe(2);
    expect(await readdir(logs)).toEqual(before);
  });
});
