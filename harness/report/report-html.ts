// report.html: a BootReport as one self-contained page (inline CSS, no scripts, no external assets). Pure.
import type { IpxeReport } from '../boot/boot-report.ts';
import type { CheckResult } from '../checks/check-result.ts';
import { retryLine } from '../boot/failure-class.ts';
import { acceleratorLine, checkMark, formatMs, imageLine, lastPhaseBeforeStop, nicLines, outcomeLabel, phaseRows, shellCommand, totalMs, type PhaseRow, type ReportDocument } from './report-model.ts';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

const phaseColours: Record<string, string> = {
  qemu: '#94a3b8',
  firmware: '#a78bfa',
  ipxe: '#c084fc',
  'ipxe-dhcp': '#d8b4fe',
  'ipxe-script': '#e879f9',
  'ipxe-kernel': '#f0abfc',
  'ipxe-initrd': '#f5d0fe',
  bootloader: '#818cf8',
  kernel: '#60a5fa',
  userspace: '#34d399',
  prompt: '#fbbf24',
  ssh: '#f472b6',
  checks: '#fb923c',
  stopped: '#64748b',
};

const css = `
:root{--fg:#1e293b;--muted:#64748b;--line:#e2e8f0;--bg:#f8fafc;--ok:#15803d;--okbg:#dcfce7;--bad:#b91c1c;--badbg:#fee2e2}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
main{max-width:1080px;margin:0 auto;padding:28px 24px 48px}
h1{font-size:24px;margin:0 0 4px;display:flex;align-items:center;gap:12px;flex-wrap:wrap}
h2{font-size:17px;margin:32px 0 12px;padding-bottom:6px;border-bottom:1px solid var(--line)}
.sub{color:var(--muted);margin:0 0 20px}
.badge{font-size:13px;font-weight:700;letter-spacing:.04em;padding:3px 10px;border-radius:999px}
.pass{color:var(--ok);background:var(--okbg)}.fail{color:var(--bad);background:var(--badbg)}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:12px}
.card{background:#fff;border:1px solid var(--line);border-radius:10px;padding:12px 14px}
.card .k{font-size:12px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted)}
.card .v{font-size:20px;font-weight:650;margin-top:2px}
.card .d{font-size:13px;color:var(--muted);margin-top:4px;overflow-wrap:anywhere}
.bar{display:flex;height:26px;border-radius:6px;overflow:hidden;border:1px solid var(--line);background:#fff;margin-bottom:8px}
.bar span{display:block;height:100%;min-width:3px}
.legend{display:flex;flex-wrap:wrap;gap:6px 16px;font-size:13px;color:var(--muted);margin-bottom:10px}
.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px;vertical-align:-1px}
table{width:100%;border-collapse:collapse;background:#fff;border:1px solid var(--line);border-radius:10px;overflow:hidden}
th,td{text-align:left;padding:7px 10px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:12px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);background:#f1f5f9}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.ev{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12.5px;color:#334155;overflow-wrap:anywhere}
tr:last-child td{border-bottom:0}
.over{color:var(--bad);font-weight:600}
details.check{background:#fff;border:1px solid var(--line);border-left:4px solid var(--ok);border-radius:8px;margin:8px 0}
details.check.failed{border-left-color:var(--bad)}
details.check summary{cursor:pointer;padding:9px 12px;display:flex;gap:10px;align-items:baseline;flex-wrap:wrap}
summary .mark{font-weight:700}.passed .mark{color:var(--ok)}.failed .mark{color:var(--bad)}
summary .title{font-weight:600}summary .verdict{color:var(--muted);font-size:14px}
summary .time{margin-left:auto;color:var(--muted);font-size:13px;font-variant-numeric:tabular-nums}
.evidence{padding:0 12px 12px}
.cmd{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:13px;margin:8px 0 4px;color:#0f172a}
.cmd .exit{color:var(--muted)}
pre{margin:0;background:#0f172a;color:#e2e8f0;padding:10px 12px;border-radius:6px;font:12.5px/1.45 ui-monospace,"DejaVu Sans Mono",monospace;white-space:pre-wrap;overflow-wrap:anywhere;max-height:420px;overflow:auto}
pre.tail{max-height:none}
.warnings{background:#fffbeb;border:1px solid #fde68a;border-left:4px solid #d97706;border-radius:8px;padding:10px 14px;margin:14px 0}
.warnings h3{margin:0 0 6px;font-size:15px;color:#b45309}.warnings ul{margin:0;padding-left:20px}
.failure{background:#fff;border:1px solid #fecaca;border-left:4px solid var(--bad);border-radius:8px;padding:12px 14px}
.failure h3{margin:0 0 8px;font-size:15px;color:var(--bad)}
.failure ul{margin:10px 0;padding-left:20px}
.failure p{margin:10px 0 6px;color:var(--muted);font-size:13px}
img.screen{display:block;max-width:100%;border-radius:8px;border:1px solid var(--line);image-rendering:pixelated}
ul.logs{padding-left:20px}ul.logs a{color:#1d4ed8}
footer{margin-top:36px;color:var(--muted);font-size:12px}
`;

export function renderReportHtml(document: ReportDocument): string {
  const { report } = document;
  const passed = report.checks.filter((check) => check.passed).length;
  const accel = acceleratorLine(report);
  const rows = phaseRows(document);
  const body = [
    `<h1>${escapeHtml(report.name)} <span class="badge ${outcomeLabel(report) === 'FAILED' ? 'fail' : 'pass'}">${outcomeLabel(report)}</span></h1>`,
    `<p class="sub">Started ${escapeHtml(report.startedAt)} · ${escapeHtml(imageLine(report))}</p>`,
    '<div class="cards">',
    card('Accelerator', accel.accel.toUpperCase(), accel.reason),
    report.cpus ? card('vCPUs', String(report.cpus.count), `${report.cpus.chosenBy}: ${report.cpus.reason}`) : '',
    card('Run time', formatMs(totalMs(report)), `furthest phase: ${lastPhaseBeforeStop(report)}`),
    report.timeoutScale ? card('Budgets', `×${report.timeoutScale.factor}`, report.timeoutScale.reason) : '',
    report.retry ? card('Attempt', `${report.retry.attempt}`, retryLine(report.retry, report.passed)) : '',
    report.failure ? card('Failure class', report.failure.failureClass, report.failure.reason) : '',
    card('Checks', `${passed} / ${report.checks.length}`, report.checks.length ? (passed === report.checks.length ? 'all passed' : `${report.checks.length - passed} failed`) : 'none ran'),
    card('SSH', report.sshPort ? `:${report.sshPort}` : 'off', `key: ${report.keyInjection}`),
    '</div>',
    report.warnings?.length ? `<div class="warnings"><h3>Warnings</h3><ul>${report.warnings.map((warning) => `<li>${escapeHtml(warning)}</li>`).join('')}</ul></div>` : '',
    report.passed ? '' : renderFailure(document),
    '<h2>Boot timeline</h2>',
    renderTimeline(rows),
    report.nics?.length ? `<h2>Network</h2>\n<ul class="nics">${nicLines(report).map((line) => `<li>${escapeHtml(line)}</li>`).join('')}</ul>` : '',
    report.ipxe ? renderIpxe(report.ipxe) : '',
    '<h2>Checks</h2>',
    report.checks.length ? report.checks.map(renderCheck).join('\n') : '<p>No checks ran.</p>',
    report.serviceLog === undefined ? '' : `<h2>Service log</h2>\n<pre>${escapeHtml(report.serviceLog.trimEnd())}</pre>`,
    document.screenPng
      ? `<h2>VGA screen</h2>\n<img class="screen" alt="VGA screen of the guest" src="data:image/png;base64,${Buffer.from(document.screenPng).toString('base64')}">`
      : '',
    '<h2>QEMU command line</h2>',
    `<pre>${escapeHtml(shellCommand(report.qemu.argv))}</pre>`,
    report.qemu.exit ? `<p class="sub">QEMU exit: code ${report.qemu.exit.exitCode ?? 'none'}, signal ${report.qemu.exit.signal ?? 'none'}</p>` : '',
    document.logLinks?.length
      ? `<h2>Logs</h2>\n<ul class="logs">${document.logLinks.map((link) => `<li><a href="${escapeHtml(encodeURI(link.href))}">${escapeHtml(link.label)}</a></li>`).join('')}</ul>`
      : '',
    `<footer>boot-harness · ${escapeHtml(report.logs.dir)}</footer>`,
  ];
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(`${outcomeLabel(report)} · ${report.name} · boot report`)}</title>`,
    `<style>${css}</style>`,
    '</head>',
    '<body>',
    '<main>',
    ...body.filter(Boolean),
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function card(key: string, value: string, detail: string): string {
  return `<div class="card"><div class="k">${escapeHtml(key)}</div><div class="v">${escapeHtml(value)}</div><div class="d">${escapeHtml(detail)}</div></div>`;
}

function renderTimeline(rows: PhaseRow[]): string {
  const span = rows.at(-1)?.startMs ?? 0;
  const timed = rows.filter((row) => row.durationMs !== undefined);
  const bar = span > 0
    ? `<div class="bar">${timed
        .map((row) => `<span title="${escapeHtml(`${row.phase} ${formatMs(row.durationMs)}`)}" style="width:${((row.durationMs! / span) * 100).toFixed(2)}%;background:${phaseColours[row.phase] ?? '#cbd5e1'}"></span>`)
        .join('')}</div>\n<div class="legend">${timed
        .map((row) => `<span><i style="background:${phaseColours[row.phase] ?? '#cbd5e1'}"></i>${escapeHtml(row.phase)} ${formatMs(row.durationMs)}</span>`)
        .join('')}</div>`
    : '';
  const table = [
    '<table><thead><tr><th>Phase</th><th>Start</th><th>Duration</th><th>Budget</th><th>Evidence</th></tr></thead><tbody>',
    ...rows.map((row) => {
      const over = row.budgetMs !== undefined && row.startMs > row.budgetMs;
      return `<tr><td>${escapeHtml(row.phase)}</td><td class="n">${formatMs(row.startMs)}</td><td class="n">${formatMs(row.durationMs)}</td><td class="n${over ? ' over' : ''}">${formatMs(row.budgetMs)}</td><td class="ev">${escapeHtml(row.evidence)}</td></tr>`;
    }),
    '</tbody></table>',
  ];
  return `${bar}\n${table.join('\n')}`;
}

function renderCheck(check: CheckResult): string {
  const state = check.passed ? 'passed' : 'failed';
  const evidence = check.evidence
    .map((item) => {
      const exit = item.exitCode === undefined ? '' : ` <span class="exit">→ exit ${item.exitCode}</span>`;
      return `<div class="cmd">$ ${escapeHtml(item.command)}${exit}</div><pre>${escapeHtml(item.output.trimEnd() || '(no output)')}</pre>`;
    })
    .join('\n');
  return [
    `<details class="check ${state}"${check.passed ? '' : ' open'}>`,
    `<summary><span class="mark">${checkMark(check)}</span><span class="title">${escapeHtml(check.title)}</span><span class="verdict">${escapeHtml(check.verdict)}</span><span class="time">${formatMs(check.durationMs)}</span></summary>`,
    `<div class="evidence">${evidence || '<p>No evidence recorded.</p>'}</div>`,
    '</details>',
  ].join('\n');
}

function renderFailure(document: ReportDocument): string {
  const { report } = document;
  const failed = report.checks.filter((check) => !check.passed);
  const parts = ['<h2>Failure</h2>', '<div class="failure">'];
  if (report.error) parts.push(`<h3>${escapeHtml(report.error.name)}</h3>`, `<pre>${escapeHtml(report.error.message)}</pre>`);
  if (failed.length) {
    if (!report.error) parts.push(`<h3>${failed.length} check${failed.length === 1 ? '' : 's'} failed</h3>`);
    parts.push(`<ul>${failed.map((check) => `<li><strong>${escapeHtml(check.title)}</strong>: ${escapeHtml(check.verdict)}</li>`).join('')}</ul>`);
  }
  if (document.consoleTail?.length) {
    parts.push(`<p>Last ${document.consoleTail.length} console lines</p>`, `<pre class="tail">${escapeHtml(document.consoleTail.join('\n'))}</pre>`);
  }
  parts.push('</div>');
  return parts.join('\n');
}

function renderIpxe(ipxe: IpxeReport): string {
  const rows = ipxe.requests.map(
    (request) =>
      `<tr><td class="n">${formatMs(request.atMs)}</td><td>${escapeHtml(request.method)}</td><td class="ev">${escapeHtml(request.path)}</td><td class="n">${request.status}</td><td class="n">${formatBytes(request.bytes)}</td><td class="n">${formatMs(request.durationMs)}</td></tr>`,
  );
  return [
    '<h2>Network boot (iPXE)</h2>',
    `<p class="sub">${escapeHtml(ipxe.mode.toUpperCase())} chain from <code>${escapeHtml(ipxe.url)}</code></p>`,
    rows.length
      ? `<table><thead><tr><th>At</th><th>Method</th><th>Path</th><th>Status</th><th>Bytes</th><th>Took</th></tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`
      : '',
  ].join('\n');
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
