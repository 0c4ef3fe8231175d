// Waiting for a systemd unit correctly. `is-active` alone cannot tell a oneshot that has not run yet
// from one that ran and succeeded (both `inactive`), so this reads ActiveState, SubState, Result,
// ExecMainStatus and whether the main process ever exited.
import type { CheckResult } from './check-result.ts';
import type { CommandRunner } from '../command/command-runner.ts';
import { Deadline } from '../util/deadline.ts';
import { sleep } from '../util/clock.ts';
import { evidenceOf, runCheck } from './check-runner.ts';

export interface UnitState {
  activeState: string;
  subState: string;
  result: string;
  execMainStatus: number | undefined;
  /** 0 until the main process has exited once; undefined when the property is not reported. */
  execMainExitMonotonic: number | undefined;
}

export type UnitVerdict = 'pending' | 'succeeded' | 'failed';

const properties = 'ActiveState,SubState,Result,ExecMainStatus,ExecMainExitTimestampMonotonic';

export function parseUnitState(showOutput: string): UnitState {
  const values = new Map<string, string>();
  for (const line of showOutput.split('\n')) {
    const equals = line.indexOf('=');
    if (equals > 0) values.set(line.slice(0, equals).trim(), line.slice(equals + 1).trim());
  }
  const number = (key: string) => (values.has(key) && values.get(key) !== '' ? Number(values.get(key)) : undefined);
  return {
    activeState: values.get('ActiveState') ?? 'unknown',
    subState: values.get('SubState') ?? 'unknown',
    result: values.get('Result') ?? 'unknown',
    execMainStatus: number('ExecMainStatus'),
    execMainExitMonotonic: number('ExecMainExitTimestampMonotonic'),
  };
}

export function judgeUnit(state: UnitState): UnitVerdict {
  if (state.activeState === 'failed') return 'failed';
  if (state.activeState === 'active') return state.subState === 'exited' && (state.execMainStatus ?? 0) !== 0 ? 'failed' : 'succeeded';
  if (state.activeState === 'activating' || state.activeState === 'reloading' || state.activeState === 'deactivating') return 'pending';
  if (state.activeState === 'inactive') {
    // Never ran yet (no exit recorded): wait. Ran and went inactive: judge by its result.
    if (state.execMainExitMonotonic === undefined || state.execMainExitMonotonic === 0) return 'pending';
    return state.result === 'success' && (state.execMainStatus ?? 0) === 0 ? 'succeeded' : 'failed';
  }
  return 'pending';
}

export async function readUnitState(runner: CommandRunner, unit: string) {
  const result = await runner.execute(`systemctl show ${unit} -p ${properties} --no-pager`);
  return { result, state: parseUnitState(result.stdout) };
}

/** Waits until `unit` has finished (succeeded or failed); the check passes only when it succeeded. */
export function unitSucceeded(runner: CommandRunner, unit: string, timeoutMs = 120_000): Promise<CheckResult> {
  return runCheck(`unit-${unit}`, `${unit} service succeeded`, async () => {
    const deadline = Deadline.after(timeoutMs);
    for (;;) {
      const { result, state } = await readUnitState(runner, unit);
      const verdict = judgeUnit(state);
      const summary = `${state.activeState}/${state.subState}, result ${state.result}, exit status ${state.execMainStatus ?? '?'}`;
      if (verdict !== 'pending' || deadline.remainingMs < 1000) {
        return {
          passed: verdict === 'succeeded',
          verdict: verdict === 'pending' ? `still not finished after ${timeoutMs} ms (${summary})` : `${verdict}: ${summary}`,
          evidence: [evidenceOf(result)],
        };
      }
      await sleep(1000);
    }
  });
}

/** The guest gives up a second before the harness does, so a hung wait still answers. */
export function systemRunningCommand(timeoutMs: number): string {
  const seconds = Math.max(1, Math.floor(timeoutMs / 1000) - 1);
  return `timeout ${seconds} systemctl is-system-running --wait 2>&1`;
}

/**
 * `systemctl is-system-running --wait`: blocks until boot-up finished, then says `running` or `degraded`
 * (some unit failed; the failed units are listed as evidence).
 */
export function systemRunning(runner: CommandRunner, timeoutMs = 120_000): Promise<CheckResult> {
  return runCheck('system-running', 'system finished booting (is-system-running)', async () => {
    const result = await runner.execute(systemRunningCommand(timeoutMs), { timeoutMs });
    const state = result.stdout.trim().split('\n').pop() ?? '';
    const evidence = [evidenceOf(result)];
    if (state !== 'running') evidence.push(evidenceOf(await runner.execute('systemctl --failed --no-legend --no-pager 2>&1')));
    return { passed: state === 'running', verdict: state || `no answer (exit ${result.exitCode})`, evidence };
  });
}
