// `harness compare` on two real runs: the last good one, and one of the same kernel whose initrd was broken
// (its pre-nixos step fails). The comparison names the changed check and the first diverging console line.
import { execFileSync } from 'node:child_process';
import { appendFile, chmod, copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locateDefaultImage } from '../../harness/boot/default-image.ts';
import { main } from '../../harness/cli/main.ts';
import type { CliIO } from '../../harness/cli/cli-io.ts';
import type { RunComparison } from '../../harness/compare/run-comparison.ts';

let dir: string;
let kernel: string;
let initrd: string;
let brokenInitrd: string;

async function harness(args: string[]) {
  let stdout = '';
  let stderr = '';
  const io: CliIO = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), isTTY: false, env: process.env, cwd: dir };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

/** The default initrd with one more cpio archive appended: the kernel unpacks both, the later file wins. */
async function breakInitrd(from: string, to: string): Promise<void> {
  const staging = join(dir, 'overlay');
  await mkdir(join(staging, 'usr/lib/pre-nixos'), { recursive: true });
  const script = join(staging, 'usr/lib/pre-nixos/pre-nixos');
  await writeFile(script, '#!/bin/sh\necho "pre-nixos: simulated regression: disk probe crashed" >&2\nexit 3\n');
  await chmod(script, 0o755);
  const archive = execFileSync('cpio', ['--quiet', '-o', '-H', 'newc', '--owner', '0:0'], { cwd: staging, input: 'usr/lib/pre-nixos/pre-nixos\n' });
  await copyFile(from, to);
  // The kernel looks for the next archive on a 4-byte boundary after the compressed one.
  const { size } = await stat(to);
  await appendFile(to, Buffer.concat([Buffer.alloc((512 - (size % 512)) % 512), archive]));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'compare-boot-'));
  const image = await locateDefaultImage();
  kernel = image.kernel;
  initrd = image.initrd;
  brokenInitrd = join(dir, 'initrd-broken.img');
  await breakInitrd(initrd, brokenInitrd);
});

afterAll(() => rm(dir, { recursive: true, force: true }));

describe('harness compare on two real runs', () => {
  it('names the changed check and the first diverging console line', async () => {
    const logDir = join(dir, 'logs');
    // The good run also proves --cpus and --qemu-arg reach QEMU's command line.
    const sizing = ['--cpus', '1', '--qemu-arg', '-device', '--qemu-arg', 'virtio-balloon-pci'];
    const good = await harness(['boot', '--kernel', kernel, '--initrd', initrd, '--name', 'cmp-good', '--log-dir', logDir, ...sizing]);
    expect(good.code, good.stderr).toBe(0);
    // No sshd without pre-nixos: a short scale keeps the SSH check from waiting its full 90 s.
    const bad = await harness(['boot', '--kernel', kernel, '--initrd', brokenInitrd, '--name', 'cmp-bad', '--log-dir', logDir, '--timeout-scale', '0.3', ...sizing]);
    expect(bad.code, bad.stderr).toBe(1);

    const json = await harness(['compare', 'cmp-good', 'cmp-bad', '--log-dir', logDir, '--json']);
    expect(json.code, json.stderr).toBe(0);
    const comparison = JSON.parse(json.stdout) as RunComparison;
    const goodArgv = JSON.parse(await readFile(join(comparison.before.dir, 'qemu-argv.json'), 'utf8')) as string[];
    expect(goodArgv.join(' ')).toMatch(/-smp 1 [\s\S]*-device virtio-balloon-pci$/);

    expect(comparison.before.passed).toBe(true);
    expect(comparison.after.passed).toBe(false);
    const changed = comparison.checks.filter((check) => check.changed);
    expect(changed.map((check) => check.id)).toContain('unit-pre-nixos');
    expect(changed.every((check) => check.before === 'passed' && check.after === 'failed')).toBe(true);
    // Same kernel, another initrd: a different image, and the QEMU argument that says so.
    expect(comparison.image.same).toBe(false);
    expect(comparison.image.before.kernelVersion).toBe(comparison.image.after.kernelVersion);
    expect(comparison.qemuArguments.removed.sort()).toEqual([`-initrd ${initrd}`, '-name cmp-good']);
    expect(comparison.qemuArguments.added.sort()).toEqual([`-initrd ${brokenInitrd}`, '-name cmp-bad']);
    // Everything before the broken step is the same once noise is masked: the divergence is the step itself,
    // after the kernel handed over to init.
    const divergence = comparison.console!;
    expect(divergence.followingAfter.join('\n'), JSON.stringify(divergence, null, 2)).toMatch(/Failed to start pre-nixos\.service/);
    const badConsole = (await readFile(join(comparison.after.dir, 'console.txt'), 'utf8')).split('\n');
    const initLine = badConsole.findIndex((line) => /Run \/init as init process/.test(line)) + 1;
    expect(initLine).toBeGreaterThan(0);
    expect(divergence.lineAfter).toBeGreaterThan(initLine);

    const text = await harness(['compare', 'cmp-good', 'cmp-bad', '--log-dir', logDir]);
    expect(text.stdout).toMatch(/! pre-nixos service succeeded\s+passed\s+→ failed/);
    expect(text.stdout).toContain(`+ ${comparison.console!.textAfter}`);
    const markdown = await harness(['compare', 'cmp-good', 'cmp-bad', '--log-dir', logDir, '--markdown']);
    expect(markdown.stdout).toMatch(/^## Compared with the last good run: PASSED → FAILED/);
  }, 600_000);
});
