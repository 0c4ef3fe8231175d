// The registry's process handlers (exit, SIGINT, SIGTERM, SIGHUP) exist only while runs are tracked:
// none at import, one set however many runs, gone again with the last release.
import { execa } from 'execa';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { liveRunCount, trackRun, type TrackedRun } from '../../../harness/boot/run-registry.ts';

const events = ['exit', 'SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function listenerCounts(): Record<(typeof events)[number], number> {
  return Object.fromEntries(events.map((event) => [event, process.listenerCount(event)])) as Record<(typeof events)[number], number>;
}

function fakeRun(): TrackedRun & { done: boolean } {
  const run = {
    done: false,
    runDir: '/nonexistent/boot-harness-run-registry-test',
    qemuPid: () => undefined,
    stopped: () => run.done,
    stop: async () => undefined,
  };
  return run;
}

const registryPath = join(import.meta.dirname, '../../../harness/boot/run-registry.ts');

/** Runs `script` in a child Node, sends it SIGINT once it printed `ready`, and returns how it ended. */
async function interruptedChild(script: string) {
  const child = execa(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { reject: false });
  await new Promise<void>((resolve) => child.stdout!.on('data', (data: Buffer) => data.toString().includes('ready') && resolve()));
  child.kill('SIGINT');
  return await child;
}

describe('trackRun', () => {
  it('importing the registry installs no handler', () => {
    // The module was imported above; its handlers are named functions.
    expect(process.listeners('exit').map((listener) => listener.name)).not.toContain('killAllNow');
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) expect(process.listeners(signal).map((listener) => listener.name)).not.toContain('onSignal');
  });

  it('installs the handlers with the first tracked run, once, and removes them with the last release', () => {
    const before = listenerCounts();
    const first = fakeRun();
    const releaseFirst = trackRun(first);
    const once = Object.fromEntries(events.map((event) => [event, before[event] + 1]));
    expect(listenerCounts()).toEqual(once);
    const releaseSecond = trackRun(fakeRun());
    expect(listenerCounts()).toEqual(once);
    expect(liveRunCount()).toBe(2);
    first.done = true;
    releaseFirst();
    expect(listenerCounts()).toEqual(once);
    releaseSecond();
    expect(listenerCounts()).toEqual(before);
    expect(process.listenerCount('SIGINT')).toBe(before.SIGINT);
  });

  it('a second round installs and removes them again', () => {
    const before = listenerCounts();
    const release = trackRun(fakeRun());
    expect(process.listenerCount('SIGTERM')).toBe(before.SIGTERM + 1);
    release();
    release();
    expect(listenerCounts()).toEqual(before);
  });

  it('a signal the caller also listens for stops the runs and leaves the process alive, even once the release removed our handler', async () => {
    // In a child: a real SIGINT. Its run releases itself when stopped, as BootedVm's does.
    const script = `
      import { trackRun } from ${JSON.stringify(registryPath)};
      let done = false;
      const release = trackRun({ runDir: '/nonexistent/boot-harness-run-registry-test', qemuPid: () => undefined, stopped: () => done, stop: async () => { done = true; release(); } });
      // Like harness boot --keep-running: the first signal stops the run; one after that counts as unhandled.
      let handled = false;
      const onSignal = (signal) => {
        if (handled) { process.off('SIGINT', onSignal); process.kill(process.pid, signal); return; }
        handled = true;
        setTimeout(() => { console.log('caller handled it'); process.exit(7); }, 300);
      };
      process.on('SIGINT', onSignal);
      console.log('ready');
      setTimeout(() => {}, 10_000);`;
    const result = await interruptedChild(script);
    expect({ exitCode: result.exitCode, signal: result.signal ?? undefined, stdout: result.stdout }).toEqual({ exitCode: 7, signal: undefined, stdout: 'ready\ncaller handled it' });
  });

  it('a signal nobody else listens for ends the process by that signal, after the runs are stopped', async () => {
    const script = `
      import { trackRun } from ${JSON.stringify(registryPath)};
      let done = false;
      const release = trackRun({ runDir: '/nonexistent/boot-harness-run-registry-test', qemuPid: () => undefined, stopped: () => done, stop: async () => { done = true; console.log('stopped'); release(); } });
      console.log('ready');
      setTimeout(() => {}, 10_000);`;
    const result = await interruptedChild(script);
    expect({ signal: result.signal, stdout: result.stdout }).toEqual({ signal: 'SIGINT', stdout: 'ready\nstopped' });
  });
});
