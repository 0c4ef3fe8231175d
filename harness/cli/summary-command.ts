// `harness summary <run|log-dir>...`: Markdown for a CI job's summary page, optionally with the comparison
// against the last good run.
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors.ts';
import type { BootReport } from '../boot/boot-report.ts';
import { renderStepSummary } from '../report/step-summary.ts';
import { compareRuns } from '../compare/run-comparison.ts';
import { renderComparisonMarkdown } from '../compare/comparison-text.ts';
import { loadRun } from '../compare/load-run.ts';
import { type CliIO, ExitCode, type ExitHolder } from './cli-io.ts';
import { commandEnvironment, environmentHelp } from './environment-help.ts';

interface SummaryFlags {
  json?: boolean;
  artifactsUrl?: string;
  compareWith?: string;
}

const tailLines = 25;

export function registerSummaryCommand(program: Command, io: CliIO, exit: ExitHolder): void {
  program
    .command('summary')
    .description('Write a Markdown summary of runs for a CI job page ($GITHUB_STEP_SUMMARY): verdicts, phases, failed checks with evidence.')
    .argument('<runs...>', 'run folders, or log dirs whose run folders are all summarised')
    .option('--artifacts-url <url>', 'link to where the boot logs and JUnit were uploaded')
    .option('--compare-with <run>', 'a run folder of the last good run: append the comparison with the (newest) run summarised')
    .option('--json', 'print the runs\' reports as one JSON object instead')
    .addHelpText('after', '\nExit codes: 0 all runs passed, 1 a run failed or none was found, 2 bad usage.\nExample: harness summary boot-logs --artifacts-url "$RUN_URL" >> "$GITHUB_STEP_SUMMARY"')
    .addHelpText('after', environmentHelp(commandEnvironment.summary))
    .action(async (runs: string[], flags: SummaryFlags) => {
      try {
        exit.code = await summary(runs, flags, io);
      } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        io.stderr(`harness summary: ${error.message}\n`);
        exit.code = ExitCode.usage;
      }
    });
}

async function summary(runs: string[], flags: SummaryFlags, io: CliIO): Promise<ExitCode> {
  const folders: string[] = [];
  for (const run of runs) folders.push(...(await runFolders(resolve(io.cwd, run))));
  const reports: BootReport[] = [];
  const consoleTails = new Map<string, string[]>();
  for (const folder of folders) {
    const report = JSON.parse(await readFile(join(folder, 'report.json'), 'utf8')) as BootReport;
    reports.push(report);
    if (!report.passed) {
      // A run that failed before the guest printed has no console.txt: no tail to show.
      const text = await readFile(join(folder, 'console.txt'), 'utf8').catch(() => '');
      consoleTails.set(report.logs.dir, text.trimEnd().split('\n').slice(-tailLines));
    }
  }
  reports.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  let appendix: string | undefined;
  const newest = folders.length ? folders.reduce((latest, folder) => (folder > latest ? folder : latest)) : undefined;
  if (flags.compareWith && newest) {
    appendix = renderComparisonMarkdown(compareRuns(await loadRun(resolve(io.cwd, flags.compareWith)), await loadRun(newest)));
  }
  if (flags.json) io.stdout(`${JSON.stringify({ passed: reports.length > 0 && reports.every((report) => report.passed), reports }, null, 2)}\n`);
  else io.stdout(renderStepSummary({ reports, consoleTails, artifactsUrl: flags.artifactsUrl, appendix }));
  return reports.length > 0 && reports.every((report) => report.passed) ? ExitCode.ok : ExitCode.failed;
}

/** A run folder is itself; a log dir gives every run folder in it (folders holding report.json). */
async function runFolders(path: string): Promise<string[]> {
  // Missing or unreadable: the usage error below says so.
  const info = await stat(path).catch(() => undefined);
  if (!info?.isDirectory()) throw new UsageError(`\`${path}\``, 'is not a folder', 'pass run folders (boot-logs/<UTC time>-<name>) or the log dir that holds them');
  // No report.json here: a log dir, whose run folders are looked for below.
  if (await stat(join(path, 'report.json')).catch(() => undefined)) return [path];
  const entries = await readdir(path, { withFileTypes: true });
  const found: string[] = [];
  for (const entry of entries.filter((item) => item.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    // A folder without report.json is not a run folder (e.g. fresh-root copies): left out.
    if (await stat(join(path, entry.name, 'report.json')).catch(() => undefined)) found.push(join(path, entry.name));
  }
  return found;
}
