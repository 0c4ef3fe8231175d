// Records a run as it goes and writes its reports when it stops: console.cast, report.json, report.md, report.html.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ObservedRun, RunObserver } from '../boot/run-observer.ts';
import type { PhaseMark } from '../boot/boot-phase.ts';
import { AsciicastWriter } from './asciicast-writer.ts';
import { writeReports } from './write-reports.ts';

/** The recording's terminal size: wide enough that kernel lines do not wrap when played back. */
const castColumns = 120;
const castRows = 40;

export class RunRecorder implements RunObserver {
  private cast: AsciicastWriter | undefined;

  started(run: ObservedRun): void {
    this.cast = new AsciicastWriter(join(run.logDir, 'console.cast'), { columns: castColumns, rows: castRows, title: run.name });
  }

  consoleBytes(chunk: Uint8Array): void {
    this.cast?.write(chunk);
  }

  phase(mark: PhaseMark): void {
    // A reboot carries on in the same recording; the marker lets a player jump to the next boot.
    if (mark.phase === 'reboot' && mark.boot !== undefined) this.cast?.marker(`boot ${mark.boot}`);
  }

  async stopped(run: ObservedRun): Promise<void> {
    await attempt(run, 'writing console.cast', () => this.cast?.close());
    await attempt(run, `writing ${run.report.logs.report}`, () => writeReportJson(run));
    await attempt(run, 'writing report.md and report.html', () => writeReports(run.report, run.logDir, { budgetsMs: { prompt: run.promptBudgetMs } }));
  }

  async reportUpdated(run: ObservedRun): Promise<void> {
    await attempt(run, `rewriting ${run.report.logs.report}`, () => writeReportJson(run));
    await attempt(run, 'rewriting report.md and report.html', () => writeReports(run.report, run.logDir, { budgetsMs: { prompt: run.promptBudgetMs } }));
  }
}

function writeReportJson(run: ObservedRun): Promise<void> {
  return writeFile(run.report.logs.report, `${JSON.stringify(run.report, null, 2)}\n`);
}

/** Runs one write; its failure becomes a run warning with its cause, and the other writes still run. */
async function attempt(run: ObservedRun, what: string, step: () => Promise<unknown> | undefined): Promise<void> {
  try {
    await step();
  } catch (error) {
    run.warn(`${what} failed: ${error instanceof Error ? error.message.split('\n')[0]! : String(error)}`);
  }
}
