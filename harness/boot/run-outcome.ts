// What a run proved, in one word (pure). Zero checks is never a pass: a run without checks proved only
// that the guest booted (its prompt was reached) or that the awaited console pattern was seen.
import type { RunOutcome } from './boot-report.ts';
import type { CheckResult } from '../checks/check-result.ts';

export interface RunFacts {
  /** The run ended on an error (boot failure, test failure, interruption). */
  failed: boolean;
  checks: readonly CheckResult[];
  /** What the boot waited for: the harness shell, a console pattern, or nothing. */
  waitFor: 'shell' | RegExp | 'nothing';
  /** Whether the prompt phase (shell installed or pattern seen) was reached. */
  promptReached: boolean;
}

export function runOutcome(facts: RunFacts): RunOutcome {
  if (facts.failed) return 'failed';
  if (facts.checks.length > 0) return facts.checks.every((check) => check.passed && !check.skipped) ? 'passed' : 'failed';
  if (!facts.promptReached && facts.waitFor !== 'nothing') return 'failed';
  return facts.waitFor instanceof RegExp ? 'matched' : 'booted';
}
