// Every command takes --json, and `harness <cmd> --help` lists the HARNESS_* variables that apply to it.
import { describe, expect, it } from 'vitest';
import type { CliIO } from '../../../harness/cli/cli-io.ts';
import { commandEnvironment } from '../../../harness/cli/environment-help.ts';
import { main } from '../../../harness/cli/main.ts';

async function help(args: string[]) {
  let stdout = '';
  let stderr = '';
  const io: CliIO = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), isTTY: false, env: {}, cwd: '/' };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

const commands = Object.keys(commandEnvironment) as (keyof typeof commandEnvironment)[];
const allHarnessVariables = ['HARNESS_ACCEL', 'HARNESS_QEMU', 'HARNESS_LOG_DIR', 'HARNESS_CACHE_DIR', 'HARNESS_MAX_BOOTS', 'HARNESS_TIMEOUT_SCALE'];

describe('harness <command> --help', () => {
  it('the top-level help lists every command and every HARNESS_* variable', async () => {
    const result = await help(['--help']);
    expect(result.code).toBe(0);
    for (const command of commands) expect(result.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
    for (const name of allHarnessVariables) expect(result.stdout).toContain(name);
  });

  it.each(commands)('%s: takes --json and lists exactly the variables that apply', async (command) => {
    const result = await help([command, '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^\s+--json\b/m);
    const block = result.stdout.slice(result.stdout.indexOf('Environment variables:'));
    expect(block).not.toBe('');
    const listed = [...block.matchAll(/^\s{2}(HARNESS_[A-Z_]+|NO_COLOR|CI)\s/gm)].map((match) => match[1]);
    expect(listed).toEqual([...commandEnvironment[command]]);
  });
});
