// What a run tells those who watch it (recorders, report writers): boot calls these and imports none of them.
import type { CheckResult } from '../checks/check-result.ts';
import type { PhaseMark } from './boot-phase.ts';
import type { BootReport } from './boot-report.ts';

/** The run an observer is told about; `warn` records a failure of the observer's own as a run warning. */
export interface ObservedRun {
  readonly name: string;
  readonly logDir: string;
  readonly report: BootReport;
  /** The budget to reach the prompt, after the timeout scale (reports show it next to the prompt phase). */
  readonly promptBudgetMs: number;
  warn(text: string): void;
}

/**
 * Every method is optional and called in the order the run does things. The synchronous ones must not
 * throw (they run on the console's data path); the asynchronous ones' failures become run warnings.
 */
export interface RunObserver {
  /** QEMU runs, still paused: every console byte from here on reaches `consoleBytes`. */
  started?(run: ObservedRun): void;
  /** Raw bytes from the guest's serial console, as they come. */
  consoleBytes?(chunk: Uint8Array): void;
  /** A boot phase was reached (a `reboot` mark starts the next boot of the same run). */
  phase?(mark: PhaseMark): void;
  /** Check results were added to the report. */
  checksRecorded?(checks: readonly CheckResult[]): void;
  /** The run stopped and its report is final: write what is kept. Awaited before the run dir goes. */
  stopped?(run: ObservedRun): Promise<void>;
  /** The report changed after the stop (its failure class, a retry record): bring written copies up to date. */
  reportUpdated?(run: ObservedRun): Promise<void>;
}
