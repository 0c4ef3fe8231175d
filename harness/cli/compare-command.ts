// `harness compare <before> <after>`: two recorded runs side by side (last good against first bad).
import { type Command, Option } from 'commander';
import { join } from 'node:path';
import { UsageError } from '../errors.ts';
import { defaultRepoRoot } from '../boot/repo-root.ts';
import { compareRuns } from '../compare/run-comparison.ts';
import { renderComparisonMarkdown, renderComparisonText } from '../compare/comparison-text.ts';
import { loadRun, locateRun } from '../compare/load-run.ts';
import { type CliIO, ExitCode, type ExitHolder } from './cli-io.ts';
import { commandEnvironment, environmentHelp } from './environment-help.ts';

interface CompareFlags {
  json?: boolean;
  markdown?: boolean;
  logDir?: string;
}

export function registerCompareCommand(program: Command, io: CliIO, exit: ExitHolder): void {
  program
    .command('compare')
    .description('Compare two recorded runs: checks, phase durations, accelerator, QEMU arguments, image identity and the first diverging console line.')
    .argument('<before>', 'the earlier run (e.g. the last good one): a run folder, or a run name in the log dir')
    .argument('<after>', 'the later run (e.g. the first bad one)')
    .option('--json', 'print the comparison as one JSON object')
    .option('--markdown', 'print the comparison as Markdown (for a CI step summary)')
    .addOption(new Option('--log-dir <dir>', 'where to look up runs given by name').env('HARNESS_LOG_DIR'))
    .addHelpText('after', '\nExit codes: 0 compared, 2 bad usage or a folder that is not a run.\nExample: harness compare boot-logs/2026-12-01T03-23-00Z-nightly boot-logs/2026-12-02T03-23-00Z-nightly --markdown')
    .addHelpText('after', environmentHelp(commandEnvironment.compare))
    .action(async (before: string, after: string, flags: CompareFlags) => {
      try {
        exit.code = await compare(before, after, flags, io);
      } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        io.stderr(`harness compare: ${error.message}\n`);
        exit.code = ExitCode.usage;
      }
    });
}

async function compare(before: string, after: string, flags: CompareFlags, io: CliIO): Promise<ExitCode> {
  if (flags.json && flags.markdown) throw new UsageError('--json with --markdown', 'asks for two output formats', 'pick one of them');
  const logRoot = flags.logDir ?? io.env.HARNESS_LOG_DIR ?? join(defaultRepoRoot(), 'boot-logs');
  const options = { cwd: io.cwd, logRoot };
  const comparison = compareRuns(await loadRun(await locateRun(before, options)), await loadRun(await locateRun(after, options)));
  if (flags.json) io.stdout(`${JSON.stringify(comparison, null, 2)}\n`);
  else if (flags.markdown) io.stdout(renderComparisonMarkdown(comparison));
  else io.stdout(renderComparisonText(comparison));
  return ExitCode.ok;
}
