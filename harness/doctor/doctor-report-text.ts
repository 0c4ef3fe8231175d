// Pure: the doctor report as a terminal table (icon, title, what was seen, a one-line fix under problems).
import type { CheckStatus } from './doctor-check.ts';
import type { DoctorReport } from './run-doctor.ts';

export const statusIcons: Record<CheckStatus, string> = { pass: '✅', warn: '⚠️', fail: '❌', skip: '⏭' };
const colours: Record<CheckStatus, string> = { pass: '32', warn: '33', fail: '31', skip: '90' };

export function summaryLine(report: DoctorReport): string {
  const { totals } = report;
  const verdict = report.ok ? (totals.warn ? 'usable, with warnings' : 'ready') : 'NOT ready';
  return `Host ${verdict}: ${totals.pass} pass, ${totals.warn} warn, ${totals.fail} fail, ${totals.skip} skip in ${(report.durationMs / 1000).toFixed(1)} s`;
}

export function renderDoctorText(report: DoctorReport, options: { colour: boolean }): string {
  const paint = (status: CheckStatus, text: string) => (options.colour ? `\u001b[${colours[status]}m${text}\u001b[0m` : text);
  const titleWidth = Math.max(...report.checks.map((check) => check.title.length));
  const lines: string[] = ['harness doctor', ''];
  for (const check of report.checks) {
    // ⚠️ and ⏭ render one column narrower than ✅ and ❌ in most terminals.
    const icon = statusIcons[check.status] + (check.status === 'warn' || check.status === 'skip' ? ' ' : '');
    lines.push(`${icon} ${paint(check.status, check.title.padEnd(titleWidth))}  ${check.seen}`);
    if ((check.status === 'warn' || check.status === 'fail') && check.fix) lines.push(`   ${' '.repeat(titleWidth)}  ↳ fix: ${check.fix}`);
  }
  lines.push('');
  if (report.accelerator) lines.push(`Accelerator for boots (auto): ${report.accelerator.accel.toUpperCase()}: ${report.accelerator.reason}`);
  lines.push(paint(report.ok ? 'pass' : 'fail', summaryLine(report)));
  return `${lines.join('\n')}\n`;
}
