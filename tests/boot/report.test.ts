// Reports of a real boot: report.md/report.html from a real BootReport, rendered by headless Chromium;
// a VGA screenshot through QMP screendump; an asciicast of the check commands.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { AsciicastWriter, bootVm, captureScreen, runPreNixosChecks, writeReports } from '../../harness/index.ts';

const chromium = '/usr/bin/chromium';
// scripts/setup installs Chromium: without it the page render cannot be checked, which is a failure, said before any boot.
const chromiumMissing = existsSync(chromium) ? undefined : `${chromium} is not installed (scripts/setup installs it: apt-get install -y --no-install-recommends chromium)`;

function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

async function screenshot(url: string, pngPath: string): Promise<void> {
  const profile = await mkdtemp(join(tmpdir(), 'chromium-profile-'));
  try {
    await promisify(execFile)(
      chromium,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--user-data-dir=${profile}`,
        `--screenshot=${pngPath}`,
        '--window-size=1200,1600',
        url,
      ],
      { timeout: 90_000 },
    );
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}

describe('reports of a real boot', () => {
  it('writes report.md, report.html, screen.png and an asciicast; Chromium renders the page', async () => {
    expect(chromiumMissing, 'Chromium renders the report page').toBeUndefined();
    await using vm = await bootVm({ name: 'report-default-iso' });
    const cast = new AsciicastWriter(join(vm.logDir, 'checks.cast'), { columns: 80, rows: 25, title: 'pre-nixos checks' });
    const unsubscribe = vm.qemu.transport.onData((chunk) => cast.write(chunk));
    await captureScreen(vm.qemu.qmp, join(vm.logDir, 'screen.png'));
    const outcome = await runPreNixosChecks(vm, { keyPresent: true, storage: 'plan-only' });
    expect(outcome.passed).toBe(true);
    unsubscribe();
    await cast.close();
    await vm.stop();

    const written = await writeReports(vm.report, vm.logDir, { budgetsMs: { prompt: vm.plan.bootTimeoutMs } });
    const markdown = await readFile(written.markdown, 'utf8');
    expect(markdown).toMatch(/^# Boot report: report-default-iso — PASSED/);
    expect(markdown).toContain('| kernel |');
    // No `cpus` given: the guest got the free host vCPU slots, and the report says so and why.
    const cpus = vm.report.cpus!;
    expect(cpus.chosenBy).toBe('automatic');
    expect(vm.report.qemu.argv.join(' ')).toContain(`-smp ${cpus.count}`);
    expect(markdown).toMatch(new RegExp(`^- vCPUs: \\*\\*${cpus.count}\\*\\* \\(automatic\\) — .*${cpus.count} of \\d+ host vCPU slots held`, 'm'));
    expect(markdown).toContain('[screen.png — VGA screen](screen.png)');
    expect(markdown).toContain('[checks.cast](checks.cast)');

    const screen = pngSize(await readFile(join(vm.logDir, 'screen.png')));
    expect(screen.width).toBeGreaterThanOrEqual(320);
    expect(screen.height).toBeGreaterThanOrEqual(200);
    const castLines = (await readFile(join(vm.logDir, 'checks.cast'), 'utf8')).trimEnd().split('\n');
    expect(JSON.parse(castLines[0]!)).toMatchObject({ version: 2, width: 80, height: 25 });
    expect(castLines.slice(1).map((line) => JSON.parse(line) as [number, string, string]).map((event) => event[2]).join('')).toContain('storage-status');

    const shot = join(vm.logDir, 'report-screenshot.png');
    await screenshot(pathToFileURL(written.html).href, shot);
    expect((await stat(shot)).size).toBeGreaterThan(20_000);
    expect(pngSize(await readFile(shot))).toEqual({ width: 1200, height: 1600 });
  }, 400_000);
});
