// The recorder as an observer of a run, without QEMU: what it writes when told of a start, console bytes,
// a reboot and the stop; a write it cannot do is a run warning, not an exception.
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { initialBootReport } from '../../../harness/boot/initial-report.ts';
import type { BootPlan } from '../../../harness/boot/boot-options.ts';
import type { ObservedRun } from '../../../harness/boot/run-observer.ts';
import { RunRecorder } from '../../../harness/report/run-recorder.ts';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'run-recorder-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function observedRun(logDir: string, warnings: string[]): ObservedRun {
  const plan = { name: 'recorded', source: { kind: 'iso', iso: '/x.iso', isDefaultImage: false }, sshKeyPath: undefined, keyInjection: 'smbios' } as unknown as BootPlan;
  const report = initialBootReport(plan, logDir);
  report.outcome = 'booted';
  return { name: 'recorded', logDir, report, promptBudgetMs: 1000, warn: (text) => warnings.push(text) };
}

describe('RunRecorder', () => {
  it('writes console.cast (with a marker at the reboot), report.json, report.md and report.html at the stop', async () => {
    const warnings: string[] = [];
    const run = observedRun(dir, warnings);
    const recorder = new RunRecorder();
    recorder.started(run);
    recorder.consoleBytes(new TextEncoder().encode('login: '));
    recorder.phase({ phase: 'reboot', atMs: 5, evidence: 'system_reset', boot: 2 });
    recorder.consoleBytes(new TextEncoder().encode('second boot\r\n'));
    await recorder.stopped(run);
    expect(warnings).toEqual([]);
    expect((await readdir(dir)).sort()).toEqual(['console.cast', 'report.html', 'report.json', 'report.md']);
    const cast = (await readFile(join(dir, 'console.cast'), 'utf8')).trimEnd().split('\n');
    expect(JSON.parse(cast[0]!)).toMatchObject({ version: 2, width: 120, height: 40, title: 'recorded' });
    expect(cast).toContainEqual(expect.stringMatching(/^\[[\d.]+,"m","boot 2"\]$/));
    expect(JSON.parse(await readFile(join(dir, 'report.json'), 'utf8'))).toMatchObject({ name: 'recorded', outcome: 'booted' });
  });

  it('a report it cannot write is a warning naming the file and the cause', async () => {
    const warnings: string[] = [];
    const run = observedRun(join(dir, 'missing', 'logs'), warnings);
    await new RunRecorder().reportUpdated(run);
    expect(warnings).toEqual([
      expect.stringMatching(/^rewriting .*missing\/logs\/report\.json failed: ENOENT/),
      expect.stringMatching(/^rewriting report\.md and report\.html failed: ENOENT/),
    ]);
  });
});
