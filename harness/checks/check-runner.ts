// Runs one check, timing it and turning an unexpected error into a failed result with evidence.
import type { CheckEvidence, CheckResult } from './check-result.ts';
import type { CommandResult } from '../command/command-runner.ts';
import { monotonicNowMs } from '../util/clock.ts';

export interface CheckOutcome {
  passed: boolean;
  verdict: string;
  evidence: CheckEvidence[];
}

export async function runCheck(id: string, title: string, body: () => Promise<CheckOutcome>): Promise<CheckResult> {
  const startedAtMs = monotonicNowMs();
  let outcome: CheckOutcome;
  try {
    outcome = await body();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    outcome = { passed: false, verdict: `error: ${message.split('\n')[0]}`, evidence: [{ command: '(check aborted)', output: message }] };
  }
  return { id, title, ...outcome, durationMs: monotonicNowMs() - startedAtMs };
}

export function evidenceOf(result: CommandResult): CheckEvidence {
  return { command: result.command, output: `${result.stdout}${result.stderr ? `\n[stderr]\n${result.stderr}` : ''}`, exitCode: result.exitCode };
}

/** A check that could not run: recorded with its reason, and not a pass. */
export function skippedCheck(id: string, title: string, reason: string): CheckResult {
  return { id, title, passed: false, skipped: reason, verdict: `skipped: ${reason}`, evidence: [], durationMs: 0 };
}
