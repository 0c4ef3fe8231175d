// stop() on a VM whose cleanup steps fail: each failure is a warning with its cause (in the report and to
// onWarning), none hides another or the caller's error, and the run is never a pass. No QEMU needed.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BootPlan } from '../../../harness/boot/boot-options.ts';
import { BootedVm } from '../../../harness/boot/booted-vm.ts';
import { RunRecorder } from '../../../harness/report/run-recorder.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'booted-vm-stop-'));
  await writeFile(join(dir, 'a-file'), 'not a folder');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function vmLoggingTo(logDir: string, removeRunDir: () => Promise<void> = async () => undefined): BootedVm {
  const plan = { name: 'stop-warnings', source: { kind: 'iso', iso: '/x.iso' }, keyInjection: 'smbios', waitFor: 'shell', bootTimeoutMs: 1000 } as unknown as BootPlan;
  const vm = new BootedVm(plan, { logDir, runDir: join(dir, 'run'), remove: removeRunDir } as never);
  // As bootVm() wires it: the recorder writes the reports when the run stops.
  vm.observe(new RunRecorder());
  return vm;
}

describe('BootedVm.stop when cleanup fails', () => {
  it('a report that cannot be written is a warning naming the file and the cause, not silence', async () => {
    // A log dir below a regular file: every write fails with ENOTDIR.
    const vm = vmLoggingTo(join(dir, 'a-file', 'logs'));
    const warnings: string[] = [];
    vm.onWarning = (text) => warnings.push(text);
    await vm.stop();
    expect(warnings).toEqual([
      expect.stringMatching(/^writing .*a-file\/logs\/report\.json failed: ENOTDIR/),
      expect.stringMatching(/^writing report\.md and report\.html failed: ENOTDIR/),
    ]);
    expect(vm.report.warnings).toEqual(warnings);
    // It never booted, so it proved nothing.
    expect(vm.report).toMatchObject({ outcome: 'failed', passed: false });
  });

  it("a failed cleanup step does not stop the others, and does not replace the caller's error", async () => {
    const vm = vmLoggingTo(dir, async () => {
      throw new Error('EBUSY: run dir still in use');
    });
    const warnings: string[] = [];
    vm.onWarning = (text) => warnings.push(text);
    const failure = new Error('the test failed');
    await vm.stop(failure);
    expect(warnings).toEqual(['removing the run dir failed: EBUSY: run dir still in use']);
    expect(vm.report.error).toEqual({ name: 'Error', message: 'the test failed' });
  });

  it('onceStopped listeners run after the stop has finished, and at once on a VM already stopped', async () => {
    const vm = vmLoggingTo(dir);
    const calls: string[] = [];
    vm.onceStopped(() => calls.push('before'));
    const stopping = vm.stop();
    expect(calls).toEqual([]);
    await stopping;
    expect(calls).toEqual(['before']);
    vm.onceStopped(() => calls.push('after'));
    expect(calls).toEqual(['before', 'after']);
  });

  it('observers hear of checks and of the stop, with the final report, before the run dir goes', async () => {
    const heard: string[] = [];
    const vm = vmLoggingTo(dir, async () => void heard.push('run dir removed'));
    vm.observe({
      checksRecorded: (checks) => heard.push(`checks ${checks.map((check) => check.id).join(',')}`),
      stopped: async (run) => void heard.push(`stopped ${run.report.outcome} ${run.report.phases.length === 0 ? 'no phases' : 'phases'}`),
    });
    vm.recordChecks([{ id: 'a', title: 'A', passed: false, verdict: 'no', evidence: [], durationMs: 1 }]);
    await vm.stop();
    expect(heard).toEqual(['checks a', 'stopped failed no phases', 'run dir removed']);
  });
});
