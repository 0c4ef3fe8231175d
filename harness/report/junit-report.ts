// A run as JUnit XML, for CI systems that show test results (GitHub's test reporters, GitLab, Jenkins).
// One test case for the boot itself, one per check; retries and the failure class ride as properties
// and in system-out, so "passed on retry 1, first attempt: infrastructure: …" is visible where tests are. Pure.
import type { BootReport } from '../boot/boot-report.ts';
import { retryLine } from '../boot/failure-class.ts';

export function renderJunit(reports: readonly BootReport[]): string {
  const suites = reports.map(renderSuite);
  const tests = reports.reduce((sum, report) => sum + 1 + report.checks.length, 0);
  const failures = reports.reduce((sum, report) => sum + report.checks.filter((check) => !check.passed).length, 0);
  const errors = reports.filter((report) => report.error).length;
  const time = reports.reduce((sum, report) => sum + runSeconds(report), 0);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="boot-harness" tests="${tests}" failures="${failures}" errors="${errors}" time="${time.toFixed(3)}">\n${suites.join('')}</testsuites>\n`;
}

function renderSuite(report: BootReport): string {
  const failures = report.checks.filter((check) => !check.passed).length;
  const properties: [string, string][] = [
    ['accelerator', report.accelerator ? `${report.accelerator.accel}: ${report.accelerator.reason}` : 'unknown'],
    ['logs', report.logs.dir],
  ];
  if (report.timeoutScale) properties.push(['timeout-scale', `${report.timeoutScale.factor}: ${report.timeoutScale.reason}`]);
  if (report.retry) properties.push(['retry', retryLine(report.retry, report.passed)]);
  if (report.failure) properties.push(['failure-class', `${report.failure.failureClass}: ${report.failure.reason}`]);
  const classname = `boot-harness.${report.name}`;
  const bootCase = report.error
    ? `    <testcase classname="${attr(classname)}" name="boot" time="${runSeconds(report).toFixed(3)}">\n      <error type="${attr(report.error.name)}" message="${attr(firstLine(report.error.message))}">${text(report.error.message)}</error>\n    </testcase>\n`
    : `    <testcase classname="${attr(classname)}" name="boot" time="${((report.phases.find((mark) => mark.phase === 'prompt')?.atMs ?? 0) / 1000).toFixed(3)}"/>\n`;
  const checkCases = report.checks.map((check) => {
    const head = `    <testcase classname="${attr(classname)}" name="${attr(check.title)}" time="${(check.durationMs / 1000).toFixed(3)}"`;
    if (check.passed) return `${head}/>\n`;
    const evidence = check.evidence.map((item) => `$ ${item.command}${item.exitCode === undefined ? '' : ` (exit ${item.exitCode})`}\n${item.output}`).join('\n');
    return `${head}>\n      <failure message="${attr(check.verdict)}">${text(evidence)}</failure>\n    </testcase>\n`;
  });
  const notes = [report.retry ? retryLine(report.retry, report.passed) : '', report.failure ? `failure class: ${report.failure.failureClass}: ${report.failure.reason}` : '', `logs: ${report.logs.dir}`].filter(Boolean).join('\n');
  return (
    `  <testsuite name="${attr(`boot: ${report.name}`)}" tests="${1 + report.checks.length}" failures="${failures}" errors="${report.error ? 1 : 0}" time="${runSeconds(report).toFixed(3)}" timestamp="${attr(report.startedAt)}">\n` +
    `    <properties>\n${properties.map(([name, value]) => `      <property name="${attr(name)}" value="${attr(value)}"/>\n`).join('')}    </properties>\n` +
    bootCase +
    checkCases.join('') +
    `    <system-out>${text(notes)}</system-out>\n  </testsuite>\n`
  );
}

function runSeconds(report: BootReport): number {
  return Math.max(0, ...report.phases.map((mark) => mark.atMs)) / 1000;
}

function firstLine(value: string): string {
  return value.split('\n')[0] ?? '';
}

/** XML 1.0 forbids most control characters even escaped: console output can hold them. */
function clean(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '�');
}

function attr(value: string): string {
  return clean(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/\n/g, '&#10;');
}

function text(value: string): string {
  return clean(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
