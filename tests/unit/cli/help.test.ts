// Every command takes --json, and `harness <cmd> --help` lists the HARNESS_* variables that apply to it:
// the expected list comes from the code each command runs (the HARNESS_* reads in the modules it imports),
// not from the table that generates the help.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
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
const harnessDir = join(import.meta.dirname, '../../../harness');

/** Every module a file imports for its values (not `import type`), transitively. */
function importClosure(start: string): Set<string> {
  const seen = new Set<string>();
  const pending = [start];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(/^(?:import|export) (?!type\b)[^;]*?from '(\.[^']+)'/gms)) pending.push(resolve(dirname(file), match[1]!));
  }
  return seen;
}

/** HARNESS_* variables read in code: `env.HARNESS_X`, `env['HARNESS_X']`, commander's `.env('HARNESS_X')`. */
function variablesReadBy(files: Iterable<string>): string[] {
  const names = new Set<string>();
  for (const file of files) {
    for (const match of readFileSync(file, 'utf8').matchAll(/(?:\benv(?:\.|\[')|\.env\(')(HARNESS_[A-Z_]+)/g)) names.add(match[1]!);
  }
  return [...names].sort();
}

const readByCommand = Object.fromEntries(commands.map((command) => [command, variablesReadBy(importClosure(join(harnessDir, 'cli', `${command}-command.ts`)))]));
const allHarnessVariables = [...new Set(Object.values(readByCommand).flat())].sort();

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
    expect(listed.filter((name) => name!.startsWith('HARNESS_')).sort()).toEqual(readByCommand[command]);
  });

  it('the derivation finds what the code reads (e.g. HARNESS_MAX_VCPUS, read where boots queue for vCPU slots)', () => {
    expect(readByCommand.boot).toEqual(expect.arrayContaining(['HARNESS_ACCEL', 'HARNESS_MAX_VCPUS']));
    expect(readByCommand.replay).toEqual([]);
  });
});
