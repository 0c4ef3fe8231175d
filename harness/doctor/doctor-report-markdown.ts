// Pure: the doctor report as a Markdown audit (condition, command run, result), like the manual audits it replaces.
import { statusIcons, summaryLine } from './doctor-report-text.ts';
import type { DoctorReport } from './run-doctor.ts';

/** `2025-10-07T02:11:38.123Z` → `2025-10-07T02-11-38Z`: sortable and safe in file names. */
export function fileTimestamp(isoDate: string): string {
  return isoDate.replace(/\.\d+Z$/, 'Z').replaceAll(':', '-');
}

export function defaultMarkdownPath(logDir: string, startedAt: string): string {
  return `${logDir.replace(/\/+$/, '')}/${fileTimestamp(startedAt)}-doctor.md`;
}

function cell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replaceAll('|', '\\|');
}

function code(text: string): string {
  const fence = text.includes('`') ? '``' : '`';
  const padded = text.startsWith('`') || text.endsWith('`') ? ` ${text} ` : text;
  return cell(`${fence}${padded}${fence}`);
}

export function renderDoctorMarkdown(report: DoctorReport, host: { hostname: string }): string {
  const lines = [
    `# Host prerequisite audit: ${host.hostname}`,
    '',
    `- **Timestamp:** ${report.startedAt.replace(/\.\d+Z$/, 'Z')}`,
    `- **Command:** \`harness doctor\``,
    `- **Result:** ${summaryLine(report)}`,
  ];
  if (report.accelerator) {
    lines.push(`- **Accelerator (auto):** ${report.accelerator.accel.toUpperCase()}: ${cell(report.accelerator.reason)}`);
  }
  lines.push('', '| Condition | Command | Result |', '| --- | --- | --- |');
  for (const check of report.checks) {
    lines.push(`| ${cell(check.title)} | ${code(check.command)} | ${statusIcons[check.status]} ${cell(check.seen)} |`);
  }
  const problems = report.checks.filter((check) => check.status === 'warn' || check.status === 'fail');
  lines.push('', '## Findings to act on', '');
  if (!problems.length) lines.push('None: every check passed or was skipped.');
  for (const check of problems) {
    lines.push(`- ${statusIcons[check.status]} **${check.title}** (\`${check.id}\`): ${check.seen}`);
    lines.push(`  - Why it matters: ${check.why}`);
    if (check.fix) lines.push(`  - Fix: ${check.fix}`);
  }
  return `${lines.join('\n')}\n`;
}
