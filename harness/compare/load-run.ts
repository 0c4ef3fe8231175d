// Reads one recorded run (a run folder, or a run name looked up in the log root) for comparison.
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.ts';
import type { BootReport } from '../boot/boot-report.ts';
import { safeRunName } from '../boot/run-directory.ts';
import type { RecordedRun } from './run-comparison.ts';

/** `run` is a run folder (holding report.json), or a run name: the newest folder of that name in `logRoot`. */
export async function locateRun(run: string, options: { cwd: string; logRoot: string }): Promise<string> {
  const asPath = resolve(options.cwd, run);
  // Not a path that exists: then it is a run name, looked up below.
  if ((await stat(asPath).catch(() => undefined))?.isDirectory()) return asPath;
  const logRoot = resolve(options.cwd, options.logRoot);
  const safe = safeRunName(run).replace(/[.]/g, '\\.');
  const named = new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d-\\d\\d-\\d\\dZ-${safe}(-\\d+)?$`);
  // No log dir: no runs of that name, which the usage error below says.
  const matches = (await readdir(logRoot).catch(() => [] as string[])).filter((entry) => named.test(entry)).sort();
  const newest = matches.at(-1);
  if (!newest) {
    throw new UsageError(`run \`${run}\``, `is neither a folder nor the name of a run in ${logRoot}`, 'pass a run folder (boot-logs/<UTC time>-<name>), or a --name with --log-dir / HARNESS_LOG_DIR set to where its runs went');
  }
  return join(logRoot, newest);
}

export async function loadRun(dir: string): Promise<RecordedRun> {
  let report: BootReport;
  try {
    report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as BootReport;
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'has no report.json' : `has an unreadable report.json (${(error as Error).message})`;
    throw new UsageError(`run folder ${dir}`, why, 'pass a run folder written by harness boot or bootVm (it holds report.json and console.txt)');
  }
  if (typeof report !== 'object' || report === null || !Array.isArray(report.checks) || !Array.isArray(report.phases)) {
    throw new UsageError(`run folder ${dir}`, 'report.json is not a boot report', 'pass a run folder written by harness boot or bootVm');
  }
  // A run that failed before the guest printed has no console.txt: its console is empty.
  const text = await readFile(join(dir, 'console.txt'), 'utf8').catch(() => '');
  return { dir, report, consoleLines: text ? text.replace(/\n$/, '').split('\n') : [] };
}
