// The registry's process handlers (exit, SIGINT, SIGTERM, SIGHUP) exist only while runs are tracked:
// none at import, one set however many runs, gone again with the last release.
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
});
