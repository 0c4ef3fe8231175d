// Gathers what classifyFailure needs about a failed run from its error, report, logs and the host, and
// records the verdict in the run's report (its observers rewrite the files: BootedVm.reportUpdated()).
import { readFile, stat } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import type { BootReport } from './boot-report.ts';
import { classifyFailure, type FailureClassification, type FailureFacts } from './failure-class.ts';

export async function gatherFailureFacts(error: unknown, report: BootReport): Promise<FailureFacts> {
  // A run that failed before its console log existed showed nothing: empty is the fact to classify on.
  const consoleText = await readFile(report.logs.consoleText, 'utf8').catch(() => '');
  const rawBytes = await stat(report.logs.consoleRaw).then((info) => info.size, () => 0);
  const lastLineSeconds = [...consoleText.matchAll(/^\[\s*(\d+\.\d+)\]/gm)].at(-1)?.[1];
  const failedAtMs = report.phases.find((mark) => mark.phase === 'stopped')?.atMs ?? report.phases.at(-1)?.atMs;
  const consoleSilentMs = lastLineSeconds !== undefined && failedAtMs !== undefined ? Math.max(0, failedAtMs - Number(lastLineSeconds) * 1000) : undefined;
  return {
    errorName: error instanceof Error ? error.name : error === undefined ? 'none' : typeof error,
    errorMessage: error instanceof Error ? error.message : error === undefined ? 'the run did not pass, with no failed check and no error' : String(error),
    errorCode: errnoCode(error),
    failedChecks: report.checks.filter((check) => !check.passed).map((check) => check.title),
    qemuExit: report.qemu.exit,
    // No stderr file: QEMU never started, so it printed nothing.
    qemuStderr: await readFile(report.logs.qemuStderr, 'utf8').catch(() => ''),
    consoleSilentMs,
    guestPrinted: rawBytes > 0 || consoleText.length > 0,
    loadAverage: loadavg()[0] ?? 0,
    cpus: availableParallelism(),
  };
}

/** The first errno-style `code` in the error's cause chain. */
function errnoCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 8; current = (current as { cause?: unknown }).cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
  }
  return undefined;
}

/** The failure class of a run that has just stopped, with the host's load when it was decided. */
export async function classifyStoppedRun(error: unknown, report: BootReport): Promise<FailureClassification> {
  const facts = await gatherFailureFacts(error, report);
  return { ...classifyFailure(facts), loadAverage: Math.round(facts.loadAverage * 100) / 100, cpus: facts.cpus };
}

/** Classifies the failure of a stopped run and records the verdict in its report. */
export async function recordFailureClass(error: unknown, report: BootReport): Promise<FailureClassification & { loadAverage: number; cpus: number }> {
  const facts = await gatherFailureFacts(error, report);
  const classification = classifyFailure(facts);
  report.failure = { ...classification, loadAverage: Math.round(facts.loadAverage * 100) / 100, cpus: facts.cpus };
  return { ...classification, loadAverage: facts.loadAverage, cpus: facts.cpus };
}
