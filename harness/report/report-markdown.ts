// report.md: a BootReport as Markdown for people reading a CI log or a pull request. Pure.
import type { CheckResult } from '../checks/check-result.ts';
import { timeoutScaleLine } from '../boot/timeout-scale.ts';
import { retryLine } from '../boot/failure-class.ts';
import { acceleratorLine, checkMark, formatMs, imageLine, lastPhaseBeforeStop, nicLines, outcomeLabel, phaseRows, shellCommand, totalMs, type ReportDocument } from './report-model.ts';

export function renderReportMarkdown(document: ReportDocument): string {
  const { report } = document;
  const passedCount = report.checks.filter((check) => check.passed).length;
  const accel = acceleratorLine(report);
  const out: string[] = [];
  out.push(`# Boot report: ${report.name} — ${outcomeLabel(report)}`, '');
  out.push(`- Started: ${report.startedAt}`);
  out.push(`- Image: ${inlineCode(imageLine(report))}`);
  out.push(`- Accelerator: **${accel.accel}** — ${escapeText(accel.reason)}`);
  if (report.cpus) out.push(`- vCPUs: **${report.cpus.count}** (${report.cpus.chosenBy}) — ${escapeText(report.cpus.reason)}`);
  if (report.timeoutScale) out.push(`- Budgets: ${escapeText(timeoutScaleLine(report.timeoutScale))}`);
  if (report.retry) out.push(`- Retried: ${escapeText(retryLine(report.retry, report.passed))} (logs of that attempt: ${inlineCode(report.retry.firstAttempt.logDir)})`);
  if (report.failure) out.push(`- Failure class: **${report.failure.failureClass}** — ${escapeText(report.failure.reason)}`);
  out.push(`- SSH key: ${escapeText(report.keyInjection)}${report.sshPort ? `, port 127.0.0.1:${report.sshPort}` : ''}`);
  const sign = report.guestAddressSign;
  if (sign) out.push(`- Guest address seen at ${(sign.sinceStartMs / 1000).toFixed(1)} s (${escapeText(sign.evidence)}); SSH attempts overlapped from then`);
  out.push(`- Checks: ${passedCount} of ${report.checks.length} passed; run time ${formatMs(totalMs(report))}, furthest phase ${lastPhaseBeforeStop(report)}`);
  for (const line of nicLines(report)) out.push(`- ${escapeText(line)}`);
  out.push('');
  if (report.warnings?.length) {
    out.push('## Warnings', '');
    for (const warning of report.warnings) out.push(`- ⚠ ${escapeText(warning)}`);
    out.push('');
  }

  if (!report.passed) {
    out.push('## Failure', '');
    if (report.error) out.push(`**${escapeText(report.error.name)}**`, '', fence(report.error.message), '');
    for (const check of report.checks.filter((item) => !item.passed)) out.push(`- ${checkMark(check)} ${escapeText(check.title)}: ${escapeText(check.verdict)}`);
    if (report.checks.some((item) => !item.passed)) out.push('');
    if (document.consoleTail?.length) {
      out.push(`Last ${document.consoleTail.length} console lines:`, '', fence(document.consoleTail.join('\n')), '');
    }
  }

  out.push('## Boot timeline', '', '| Phase | Start | Duration | Budget | Evidence |', '|---|--:|--:|--:|---|');
  for (const row of phaseRows(document)) {
    out.push(`| ${row.phase} | ${formatMs(row.startMs)} | ${formatMs(row.durationMs)} | ${formatMs(row.budgetMs)} | ${tableCell(row.evidence)} |`);
  }
  out.push('');

  if (report.ipxe) {
    out.push('## Network boot (iPXE)', '', `${report.ipxe.mode.toUpperCase()} chain from ${inlineCode(report.ipxe.url)}`, '');
    if (report.ipxe.requests.length) {
      out.push('| At | Request | Status | Bytes | Took |', '|--:|---|--:|--:|--:|');
      for (const request of report.ipxe.requests) {
        out.push(`| ${formatMs(request.atMs)} | ${tableCell(`${request.method} ${request.path}`)} | ${request.status} | ${request.bytes} | ${formatMs(request.durationMs)} |`);
      }
      out.push('');
    }
  }

  out.push('## Checks', '');
  if (report.checks.length === 0) out.push('No checks ran.', '');
  for (const check of report.checks) out.push(...renderCheck(check));

  if (report.serviceLog !== undefined) out.push('## Service log', '', fence(report.serviceLog), '');

  out.push('## QEMU command line', '', fence(shellCommand(report.qemu.argv), 'sh'), '');
  if (report.qemu.exit) {
    out.push(`QEMU exit: code ${report.qemu.exit.exitCode ?? 'none'}, signal ${report.qemu.exit.signal ?? 'none'}.`, '');
  }

  if (document.logLinks?.length) {
    out.push('## Logs', '');
    for (const link of document.logLinks) out.push(`- [${escapeText(link.label)}](${encodeURI(link.href)})`);
    out.push('');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

function renderCheck(check: CheckResult): string[] {
  const out = [`### ${checkMark(check)} ${escapeText(check.title)}`, '', `${escapeText(check.verdict)} (${check.id}, ${formatMs(check.durationMs)})`, ''];
  for (const evidence of check.evidence) {
    const exit = evidence.exitCode === undefined ? '' : ` → exit ${evidence.exitCode}`;
    out.push(`${inlineCode(evidence.command)}${exit}`, '', fence(evidence.output || '(no output)'), '');
  }
  return out;
}

/** A fenced block whose fence is longer than any backtick run inside, so output can never close it. */
function fence(text: string, language = ''): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((match) => match[0].length));
  const marks = '`'.repeat(longest + 1);
  return `${marks}${language}\n${text.trimEnd()}\n${marks}`;
}

function inlineCode(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((match) => match[0].length));
  const marks = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${marks}${pad}${text}${pad}${marks}`;
}

/** Markdown-significant characters and raw HTML are neutralised in prose. */
function escapeText(text: string): string {
  return text.replace(/[\\`*_[\]<>|]/g, (char) => `\\${char}`);
}

function tableCell(text: string): string {
  return text ? inlineCode(text.replaceAll('|', '¦').replace(/\s+/g, ' ')) : '';
}
