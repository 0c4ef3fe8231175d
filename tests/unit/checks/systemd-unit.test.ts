import { describe, expect, it } from 'vitest';
import { judgeUnit, parseUnitState } from '../../../harness/checks/systemd-unit.ts';

const show = (fields: Record<string, string | number>) =>
  Object.entries(fields)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n');

describe('judgeUnit: oneshot semantics', () => {
  it.each([
    ['not started yet (inactive, never exited)', { ActiveState: 'inactive', SubState: 'dead', Result: 'success', ExecMainStatus: 0, ExecMainExitTimestampMonotonic: 0 }, 'pending'],
    ['running', { ActiveState: 'activating', SubState: 'start', Result: 'success', ExecMainStatus: 0, ExecMainExitTimestampMonotonic: 0 }, 'pending'],
    ['RemainAfterExit=yes, succeeded', { ActiveState: 'active', SubState: 'exited', Result: 'success', ExecMainStatus: 0, ExecMainExitTimestampMonotonic: 5000 }, 'succeeded'],
    ['no RemainAfterExit, ran and succeeded (inactive again)', { ActiveState: 'inactive', SubState: 'dead', Result: 'success', ExecMainStatus: 0, ExecMainExitTimestampMonotonic: 5000 }, 'succeeded'],
    ['failed', { ActiveState: 'failed', SubState: 'failed', Result: 'exit-code', ExecMainStatus: 1, ExecMainExitTimestampMonotonic: 5000 }, 'failed'],
    ['ran, inactive, non-zero exit', { ActiveState: 'inactive', SubState: 'dead', Result: 'exit-code', ExecMainStatus: 3, ExecMainExitTimestampMonotonic: 5000 }, 'failed'],
  ] as const)('%s → %s', (_title, fields, verdict) => {
    expect(judgeUnit(parseUnitState(show(fields)))).toBe(verdict);
  });

  it('reads the busybox image shim, which reports no exit timestamp', () => {
    const state = parseUnitState('Result=success\nExecMainStatus=0\nActiveState=active\nSubState=exited\n');
    expect(judgeUnit(state)).toBe('succeeded');
  });
});
