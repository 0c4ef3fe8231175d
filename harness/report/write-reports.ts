// Writes report.md and report.html next to report.json; the only part of the reports that touches files.
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BootPhase } from '../boot/boot-phase.ts';
import type { BootReport } from '../boot/boot-report.ts';
import { renderReportHtml } from './report-html.ts';
import { renderReportMarkdown } from './report-markdown.ts';
import type { LogLink, ReportDocument } from './report-model.ts';

export const consoleTailLines = 40;

export interface WriteReportsOptions {
  /** Phase budgets where known, e.g. `{ prompt: plan.bootTimeoutMs }`. */
  budgetsMs?: Partial<Record<BootPhase, number>>;
}

/** What each log file is, in the order a person looks for them; only files that exist are linked. */
const knownLogs: readonly LogLink[] = [
  { href: 'console.txt', label: 'console.txt — clean console, timestamped' },
  { href: 'console.cast', label: 'console.cast — console recording (asciinema play console.cast)' },
  { href: 'console.raw', label: 'console.raw — raw console bytes' },
  { href: 'screen.png', label: 'screen.png — VGA screen' },
  { href: 'qemu-argv.json', label: 'qemu-argv.json — QEMU command line' },
  { href: 'qemu-stderr.txt', label: 'qemu-stderr.txt — QEMU stderr' },
  { href: 'report.json', label: 'report.json — this report as JSON' },
  { href: 'report.md', label: 'report.md — this report as Markdown' },
];

const knownHrefs = new Set(knownLogs.map((link) => link.href));

export async function writeReports(report: BootReport, logDir: string, options: WriteReportsOptions = {}): Promise<{ markdown: string; html: string }> {
  // Only decides which log links to show: an unlistable folder shows none (the report write itself then fails loudly).
  const present = new Set(await readdir(logDir).catch(() => [] as string[]));
  present.add('report.md');
  const document: ReportDocument = {
    report,
    logLinks: [
      ...knownLogs.filter((link) => present.has(link.href)),
      // Anything else a test left in the run folder (extra recordings, screenshots) is linked by name.
      ...[...present].filter((name) => !knownHrefs.has(name) && name !== 'report.html' && !name.startsWith('.')).sort().map((name) => ({ href: name, label: name })),
    ],
    ...(options.budgetsMs ? { budgetsMs: options.budgetsMs } : {}),
    ...(present.has('screen.png') ? await embeddableScreen(join(logDir, 'screen.png')) : {}),
    ...(report.passed ? {} : { consoleTail: await readConsoleTail(join(logDir, 'console.txt'), consoleTailLines) }),
  };
  const markdown = join(logDir, 'report.md');
  const html = join(logDir, 'report.html');
  await writeFile(markdown, renderReportMarkdown(document));
  await writeFile(html, renderReportHtml(document));
  return { markdown, html };
}

async function readConsoleTail(path: string, lineCount: number): Promise<string[]> {
  // No console.txt (the run failed before QEMU started): no console tail to show.
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').filter((line, index, lines) => line || index < lines.length - 1).slice(-lineCount);
}

/** Screenshots are a few KB; a huge one stays a link so the page stays light. */
async function embeddableScreen(path: string): Promise<{ screenPng?: Buffer }> {
  // No screenshot was taken (passing run, or its failure is already a warning of the stop).
  const png = await readFile(path).catch(() => undefined);
  return png && png.length <= 2_000_000 ? { screenPng: png } : {};
}
