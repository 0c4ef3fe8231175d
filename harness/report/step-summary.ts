// The Markdown a CI job shows on its summary page (GitHub's $GITHUB_STEP_SUMMARY): the verdict, each run's
// phase timeline, failed checks with their evidence, retries, and where the artefacts are. Pure.
import type { BootReport } from '../boot/boot-report.ts';
import { retryLine } from '../boot/failure-class.ts';
import { timeoutScaleLine } from '../boot/timeout-scale.ts';
import { formatMs, phaseRows } from './report-model.ts';

export interface StepSummaryInput {
  reports: readonly BootReport[];
  /** Last lines of each failed run's console.txt, by run folder. */
  consoleTails?: ReadonlyMap<string, readonly string[]>;
  /** Where the uploaded boot logs and JUnit can be downloaded (the CI run's page). */
  artifactsUrl?: string | undefined;
  /** Extra Markdown appended at the end (e.g. the comparison with the last good run). */
  appendix?: string | undefined;
}

export function renderStepSummary(input: StepSummaryInput): string {
  const { reports } = input;
  const out: string[] = [];
  if (reports.length === 0) {
    out.push('# Boot harness: FAILED — no run recorded', '', 'The job produced no run folder with a report.json: the boot did not start (see the job log).');
    return `${out.join('\n')}\n`;
  }
  const passed = reports.every((report) => report.passed);
  out.push(`# Boot harness: ${passed ? '✅ PASSED' : '❌ FAILED'} — ${reports.length} run${reports.length === 1 ? '' : 's'}`, '');
  out.push('| Run | Verdict | Checks | Accelerator | Budgets | Time |', '|---|---|--:|---|--:|--:|');
  for (const report of reports) {
    const passedChecks = report.checks.filter((check) => check.passed).length;
    const verdict = report.passed ? (report.retry ? `✅ passed on retry ${report.retry.attempt - 1}` : '✅ passed') : `❌ failed${report.failure ? ` (${report.failure.failureClass})` : ''}`;
    const time = Math.max(0, ...report.phases.map((mark) => mark.atMs));
    out.push(`| ${cell(report.name)} | ${verdict} | ${passedChecks}/${report.checks.length} | ${report.accelerator?.accel ?? 'unknown'} | ${report.timeoutScale ? `×${report.timeoutScale.factor}` : '—'} | ${formatMs(time)} |`);
  }
  out.push('');
  if (input.artifactsUrl) out.push(`Boot logs (console, asciicast, report.html) and JUnit: [artefacts of this run](${input.artifactsUrl})`, '');

  for (const report of reports) {
    out.push(`## ${report.passed ? '✅' : '❌'} ${escape(report.name)}`, '');
    if (report.retry) out.push(`- Retried: ${escape(retryLine(report.retry, report.passed))}`);
    if (report.failure) out.push(`- Failure class: **${report.failure.failureClass}**: ${escape(report.failure.reason)}`);
    if (report.error) out.push(`- Error: ${code(`${report.error.name}: ${report.error.message.split('\n')[0]}`)}`);
    out.push(`- Accelerator: ${report.accelerator ? `${report.accelerator.accel} — ${escape(report.accelerator.reason)}` : 'unknown'}`);
    if (report.timeoutScale) out.push(`- Budgets: ${escape(timeoutScaleLine(report.timeoutScale))}`);
    out.push(`- Logs: ${code(report.logs.dir)}`, '');
    out.push('| Phase | Start | Duration | Evidence |', '|---|--:|--:|---|');
    for (const row of phaseRows({ report })) out.push(`| ${row.phase} | ${formatMs(row.startMs)} | ${formatMs(row.durationMs)} | ${cell(row.evidence)} |`);
    out.push('');
    const failed = report.checks.filter((check) => !check.passed);
    for (const check of failed) {
      out.push(`### ✗ ${escape(check.title)}`, '', escape(check.verdict), '');
      for (const evidence of check.evidence) {
        out.push(`${code(evidence.command)}${evidence.exitCode === undefined ? '' : ` → exit ${evidence.exitCode}`}`, '', fence(evidence.output || '(no output)'), '');
      }
    }
    const tail = input.consoleTails?.get(report.logs.dir);
    if (!report.passed && tail?.length) out.push(`<details><summary>Last ${tail.length} console lines</summary>`, '', fence(tail.join('\n')), '', '</details>', '');
  }
  if (input.appendix) out.push(input.appendix.trimEnd(), '');
  return `${out.join('\n').trimEnd()}\n`;
}

function fence(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((match) => match[0].length));
  const marks = '`'.repeat(longest + 1);
  return `${marks}\n${text.trimEnd()}\n${marks}`;
}

function code(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((match) => match[0].length));
  const marks = '`'.repeat(longest + 1);
  return `${marks}${text.startsWith('`') || text.endsWith('`') ? ` ${text} ` : text}${marks}`;
}

function cell(text: string): string {
  return text ? code(text.replaceAll('|', '¦').replace(/\s+/g, ' ').slice(0, 120)) : '';
}

function escape(text: string): string {
  return text.replace(/[\\`*_[\]<>|]/g, (char) => `\\${char}`);
}
