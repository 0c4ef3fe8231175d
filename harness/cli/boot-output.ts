// Text output of `harness boot`: phase lines as they come, then the check table and the log path.
import type { PhaseMark } from '../boot/boot-phase.ts';
import type { BootReport } from '../boot/boot-report.ts';
import type { CheckResult } from '../checks/check-result.ts';
import type { CliIO } from './cli-io.ts';
import { timeoutScaleLine } from '../boot/timeout-scale.ts';
import { retryLine } from '../boot/failure-class.ts';

export function formatPhase(mark: PhaseMark): string {
  return `  [${(mark.atMs / 1000).toFixed(1).padStart(6)} s] ${mark.phase.padEnd(11)} ${mark.evidence.slice(0, 100)}\n`;
}

/** The check table alone (printed before a console is handed over; the summary repeats it at the end). */
export function formatCheckTable(checks: readonly CheckResult[], io: CliIO): string {
  const colour = io.isTTY && !io.env.NO_COLOR;
  return `\n${checkLines(checks, (code, text) => (colour ? `\x1b[${code}m${text}\x1b[0m` : text)).join('\n')}\n`;
}

function checkLines(checks: readonly CheckResult[], paint: (code: string, text: string) => string): string[] {
  const titleWidth = Math.max(...checks.map((check) => check.title.length));
  const lines = ['Checks:'];
  for (const check of checks) {
    const status = check.skipped ? paint('33', 'SKIP') : check.passed ? paint('32', 'PASS') : paint('31', 'FAIL');
    lines.push(`  ${status}  ${check.title.padEnd(titleWidth)}  ${check.verdict}`);
  }
  return lines;
}

export function formatBootSummary(report: BootReport, io: CliIO): string {
  const colour = io.isTTY && !io.env.NO_COLOR;
  const paint = (code: string, text: string) => (colour ? `\x1b[${code}m${text}\x1b[0m` : text);
  const lines: string[] = [''];
  if (report.checks.length > 0) lines.push(...checkLines(report.checks, paint));
  if (report.ipxe) {
    lines.push('', `iPXE chain (${report.ipxe.mode}): ${report.ipxe.url}`);
    for (const request of report.ipxe.requests) {
      lines.push(`  ${String(request.status).padEnd(4)} ${request.method} ${request.path}  ${request.bytes} bytes in ${Math.round(request.durationMs)} ms`);
    }
  }
  if (report.serviceLog && !report.passed) {
    lines.push('', 'Service log (journalctl -u pre-nixos):');
    for (const line of report.serviceLog.trimEnd().split('\n').slice(-30)) lines.push(`  | ${line}`);
  }
  lines.push('');
  lines.push(`Accelerator: ${report.accelerator?.accel ?? 'unknown'} — ${report.accelerator?.reason ?? ''}`);
  if (report.timeoutScale) lines.push(`Budgets: ${timeoutScaleLine(report.timeoutScale)}`);
  if (report.retry) lines.push(`Retried: ${retryLine(report.retry, report.passed)}`);
  if (report.failure) lines.push(`Failure class: ${report.failure.failureClass}: ${report.failure.reason}`);
  lines.push(`Result: ${resultLine(report, paint)}`);
  lines.push(`Logs: ${report.logs.dir}`);
  return `${lines.join('\n')}\n`;
}

/** PASS only when checks ran and all passed; a run without checks says what it did prove. */
export function resultLine(report: BootReport, paint: (code: string, text: string) => string = (_code, text) => text): string {
  const total = report.checks.length;
  const passed = report.checks.filter((check) => check.passed).length;
  const skipped = report.checks.filter((check) => check.skipped).length;
  const counts = `${passed}/${total} checks passed${skipped > 0 ? `, ${skipped} skipped` : ''}`;
  switch (report.outcome) {
    case 'passed':
      return `${paint('1;32', 'PASS')} (${counts})`;
    case 'booted':
      return `${paint('1;32', 'BOOTED')}: prompt reached (no checks run)`;
    case 'matched': {
      const seen = report.phases.find((mark) => mark.phase === 'prompt')?.evidence ?? '';
      return `${paint('1;32', 'MATCHED')}: ${JSON.stringify(seen)} (no checks run)`;
    }
    default:
      return `${paint('1;31', 'FAIL')} (${total > 0 ? counts : `no checks ran${report.error ? `: ${report.error.message.split('\n')[0]}` : ''}`})`;
  }
}
