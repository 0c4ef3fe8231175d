// What one check found: the result type every check returns and every report lists. Types only.

export interface CheckEvidence {
  command: string;
  output: string;
  exitCode?: number;
}

export interface CheckResult {
  id: string;
  title: string;
  /** Checked and true. A skipped check is never passed. */
  passed: boolean;
  /** Why the check did not run (e.g. no way to reach the guest's SSH); absent when it ran. */
  skipped?: string | undefined;
  /** One line a person reads first. */
  verdict: string;
  evidence: CheckEvidence[];
  durationMs: number;
}
