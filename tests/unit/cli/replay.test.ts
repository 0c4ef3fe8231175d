import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import type { CliIO } from '../../../harness/cli/cli-io.ts';
import type { ExitHolder } from '../../../harness/cli/cli-io.ts';
import { registerReplayCommand } from '../../../harness/cli/replay-command.ts';

const transcripts = fileURLToPath(new URL('../../../fixtures/transcripts/', import.meta.url));

/** Runs `harness replay ...` in-process; returns the exit code and what was printed. */
async function replay(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const io: CliIO = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), isTTY: false, env: {}, cwd: transcripts };
  const exit: ExitHolder = { code: 0 };
  const program = new Command('harness').exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  registerReplayCommand(program, io, exit);
  let code: number;
  try {
    await program.parseAsync(['replay', ...args], { from: 'user' });
    code = exit.code;
  } catch {
    code = 2;
  }
  return { code, stdout, stderr };
}

describe('harness replay', () => {
  it('exits 0 and prints the same match whole, in random chunks and byte by byte', async () => {
    const runs = await Promise.all(
      [[], ['--chunk', 'random'], ['--chunk', 'random', '--seed', '42'], ['--chunk', '1']].map((chunk) =>
        replay('nixos-prompt.raw', '--expect', '\\[root@pre-nixos:~\\]# ip', '--json', ...chunk),
      ),
    );
    const results = runs.map((run) => {
      expect(run.code).toBe(0);
      const { matched, matchText, offset, rawEndByte, bytes } = JSON.parse(run.stdout);
      expect(typeof JSON.parse(run.stdout).elapsedMs).toBe('number');
      return { matched, matchText, offset, rawEndByte, bytes };
    });
    expect(results[0]).toMatchObject({ matched: true, matchText: '[root@pre-nixos:~]# ip' });
    for (const result of results) expect(result).toEqual(results[0]);
  });

  it('exits 1 when the capture never matches', async () => {
    const run = await replay('busybox-initramfs.raw', '--expect', 'login: $');
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^No match for \/login: \$\/ in \d+ bytes/);
  });

  it('matches the rendered screen with --screen, at the same byte for every chunking', async () => {
    const runs = await Promise.all(
      [[], ['--chunk', '1'], ['--chunk', 'random'], ['--chunk', '100']].map((chunk) =>
        replay('grub-menu.raw', '--expect', 'Boot pre-nixos \\(installer\\)', '--screen', '--json', ...chunk),
      ),
    );
    const results = runs.map((run) => {
      expect(run.code).toBe(0);
      const { matched, matchText, offset, rawEndByte, screen } = JSON.parse(run.stdout);
      return { matched, matchText, offset, rawEndByte, screen };
    });
    expect(results[0]).toMatchObject({ matched: true, matchText: 'Boot pre-nixos (installer)', screen: true });
    // The entry is complete once its last character is drawn, long before the end of the capture.
    expect(results[0]!.rawEndByte).toBeLessThan(573);
    for (const result of results) expect(result).toEqual(results[0]);
  });

  it.each([
    [['missing.raw', '--expect', 'x'], /capture `missing.raw`: cannot be read \(ENOENT\)\nFix: pass the path/],
    [['nixos-prompt.raw', '--expect', '('], /--expect: is not a valid regular expression/],
    [['nixos-prompt.raw', '--expect', 'x', '--chunk', '0'], /--chunk: expected a positive integer or `random`, got `0`/],
  ])('exits 2 on bad input: %j', async (args, message) => {
    const run = await replay(...args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it('exits 2 when --expect is missing', async () => {
    const run = await replay('nixos-prompt.raw');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("required option '--expect <regex>' not specified");
  });
});
