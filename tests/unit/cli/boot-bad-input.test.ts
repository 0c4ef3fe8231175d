// Every bad input to `harness boot` answers with what, why and the fix, a non-zero exit, and no QEMU.
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../harness/cli/main.ts';
import type { CliIO } from '../../../harness/cli/cli-io.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'boot-bad-input-'));
  await writeFile(join(dir, 'empty.iso'), '');
  await writeFile(join(dir, 'notes.txt'), 'not an image\n'.repeat(5000));
  const qcow = Buffer.alloc(0x9000);
  qcow.write('QFI\xfb', 0, 'latin1');
  await writeFile(join(dir, 'disk.qcow2'), qcow);
  await mkdir(join(dir, 'folder'));
  await writeFile(join(dir, 'a-file'), 'x');
});

async function harness(args: string[], env: NodeJS.ProcessEnv = process.env) {
  let stdout = '';
  let stderr = '';
  const io: CliIO = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), isTTY: false, env, cwd: dir };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

describe('harness boot: bad input', () => {
  const rows: [string, () => string[], number, RegExp, NodeJS.ProcessEnv?][] = [
    ['missing image path', () => ['--iso', join(dir, 'missing.iso')], 2, /missing\.iso: no such file[\s\S]*Fix: pass the path of a bootable ISO/],
    ['a directory', () => ['--iso', join(dir, 'folder')], 2, /is a directory/],
    ['an empty file', () => ['--iso', join(dir, 'empty.iso')], 2, /is empty \(0 bytes\)/],
    ['a text file as ISO', () => ['--iso', join(dir, 'notes.txt')], 2, /not an ISO 9660 image/],
    ['a qcow2 given as ISO', () => ['--iso', join(dir, 'disk.qcow2')], 2, /is a qcow2 disk image/],
    ['an initrd without a kernel', () => ['--initrd', join(dir, 'notes.txt')], 2, /initrd was given without a kernel/],
    ['conflicting sources', () => ['--iso', join(dir, 'notes.txt'), '--kernel', join(dir, 'notes.txt')], 2, /two boot sources/],
    ['negative memory', () => ['--memory', '-1'], 2, /memoryMiB: expected an integer from 64 to 65536, got `-1`/],
    ['memory that is not a number', () => ['--memory', 'lots'], 2, /--memory: expected a whole number, got `lots`/],
    ['zero vCPUs', () => ['--cpus', '0'], 2, /--cpus: expected a whole number from 1 to 64, got `0`/],
    ['vCPUs that are not a number', () => ['--cpus', 'two'], 2, /--cpus: expected a whole number, got `two`/],
    ['a --qemu-arg the harness owns', () => ['--qemu-arg', '-serial', '--qemu-arg', 'stdio'], 2, /--qemu-arg\[0\] -serial: is an option the harness sets itself[\s\S]*Fix:/],
    ['a --qemu-arg that sizes the guest', () => ['--qemu-arg=-smp', '--qemu-arg', '4'], 2, /-smp: is an option the harness sets itself[\s\S]*Fix: use --cpus/],
    ['an empty --qemu-arg', () => ['--qemu-arg', ''], 2, /--qemu-arg\[0\]: is empty/],
    ['a timeout scale that is not a number', () => ['--timeout-scale', 'fast'], 2, /--timeout-scale: expected `auto` or a number from 0.1 to 100, got `fast`/],
    ['a timeout scale of zero', () => ['--timeout-scale', '0'], 2, /--timeout-scale: expected a factor from 0.1 to 100, got `0`/],
    ['HARNESS_TIMEOUT_SCALE that is not a number', () => [], 2, /HARNESS_TIMEOUT_SCALE: expected `auto` or a number/, { ...process.env, HARNESS_TIMEOUT_SCALE: 'x2' }],
    ['retries beyond 10', () => ['--retries', '11'], 2, /--retries: expected a whole number from 0 to 10, got `11`/],
    ['no runs to keep', () => ['--keep-runs', '0'], 2, /--keep-runs: expected a whole number of runs \(at least 1\) or `all`, got `0`[\s\S]*Fix: pass e\.g\. 50/],
    ['HARNESS_KEEP_RUNS that is not a number', () => [], 2, /HARNESS_KEEP_RUNS: expected a whole number of runs/, { ...process.env, HARNESS_KEEP_RUNS: 'lots' }],
    ['retries that are not a number', () => ['--retries', 'some'], 2, /--retries: expected a whole number, got `some`/],
    ['unknown accelerator', () => ['--accel', 'xen'], 2, /--accel/],
    ['unknown flag', () => ['--frobnicate'], 2, /unknown option '--frobnicate'/],
    ['bad --expect regex', () => ['--expect', '(['], 2, /--expect: not a valid regular expression/],
    ['bad --storage-pattern regex', () => ['--storage-pattern', 'state=(['], 2, /--storage-pattern: not a valid regular expression/],
    ['--storage-pattern with --no-checks', () => ['--storage-pattern', '^STATE=(\\w+)', '--no-checks'], 2, /--storage-pattern with --no-checks: the pattern is for the storage-status check/],
    ['--direct with an ISO', () => ['--direct', '--iso', join(dir, 'notes.txt')], 2, /--direct: only applies to the default image/],
    ['a log dir that is not writable', () => ['--log-dir', join(dir, 'a-file', 'logs')], 2, /log dir .* is not writable[\s\S]*Fix:/],
  ];

  it.each(rows)('%s', async (_title, args, code, message, env) => {
    const result = await harness(['boot', ...args()], env);
    expect(result.stderr).toMatch(message);
    expect(result.code).toBe(code);
  });

  it('qemu-system-x86_64 missing from PATH', async () => {
    const result = await harness(['boot', '--log-dir', join(dir, 'logs')], { ...process.env, PATH: '/nonexistent', HARNESS_QEMU: '' });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/qemu-system-x86_64 not found on PATH[\s\S]*apt-get install/);
  });

  it('HARNESS_QEMU pointing nowhere', async () => {
    const result = await harness(['boot', '--log-dir', join(dir, 'logs')], { ...process.env, HARNESS_QEMU: join(dir, 'no-qemu') });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/HARNESS_QEMU points at .*no-qemu/);
  });

  it('--json still prints one object with the error', async () => {
    const result = await harness(['boot', '--json', '--iso', join(dir, 'missing.iso')]);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ passed: false, error: { name: 'UsageError' } });
  });
});
