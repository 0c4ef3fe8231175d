// `harness doctor`: audits the host (and optionally a boot image) and prints a table, JSON or Markdown.
import { mkdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { UsageError } from '../errors.ts';
import { renderDoctorJson } from '../doctor/doctor-report-json.ts';
import { defaultMarkdownPath, renderDoctorMarkdown } from '../doctor/doctor-report-markdown.ts';
import { renderDoctorText } from '../doctor/doctor-report-text.ts';
import type { DoctorOptions } from '../doctor/doctor-check.ts';
import type { DoctorEnvironment } from '../doctor/doctor-environment.ts';
import { runDoctor } from '../doctor/run-doctor.ts';
import { systemDoctorEnvironment } from '../doctor/system-doctor-environment.ts';
import { type CliIO, ExitCode, type ExitHolder } from './cli-io.ts';
import { defaultMemoryMiB } from '../boot/boot-defaults.ts';
import { commandEnvironment, environmentHelp } from './environment-help.ts';

const projectDir = fileURLToPath(new URL('../../', import.meta.url));

interface DoctorFlags {
  iso?: string;
  kernel?: string;
  json?: boolean;
  markdown?: string | boolean;
}

export function registerDoctorCommand(
  program: Command,
  io: CliIO,
  exit: ExitHolder,
  makeEnvironment: (io: CliIO) => DoctorEnvironment = (cliIo) => systemDoctorEnvironment(cliIo.env, cliIo.cwd),
): void {
  program
    .command('doctor')
    .description('Audit this host before trusting a boot test: Node, node-pty, QEMU, KVM, networking, tools, disk, memory')
    .option('--iso <file>', 'also inspect a boot image without booting it (El Torito, bootloader, console=ttyS0)')
    .option('--kernel <file>', 'kernel for the KVM probe (default: the default image kernel)')
    .option('--json', 'print one JSON object: every check, the accelerator verdict, totals')
    .option('--markdown [file]', 'also write the audit as Markdown (default: boot-logs/<UTC timestamp>-doctor.md)')
    .addHelpText('after', environmentHelp(commandEnvironment.doctor))
    .action(async (flags: DoctorFlags) => {
      try {
        exit.code = await doctor(flags, io, makeEnvironment(io));
      } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        io.stderr(`harness doctor: ${error.message}\n`);
        exit.code = ExitCode.usage;
      }
    });
}

async function doctor(flags: DoctorFlags, io: CliIO, env: DoctorEnvironment): Promise<ExitCode> {
  const logDir = resolve(io.cwd, io.env.HARNESS_LOG_DIR || 'boot-logs');
  const options: DoctorOptions = {
    isoPath: flags.iso === undefined ? undefined : resolve(io.cwd, flags.iso),
    kernelPath: flags.kernel === undefined ? undefined : resolve(io.cwd, flags.kernel),
    vmMemoryMiB: defaultMemoryMiB,
    logDir,
    cacheDir: resolve(io.cwd, io.env.HARNESS_CACHE_DIR || '.cache'),
    projectDir,
  };
  if (options.kernelPath && (await env.stat(options.kernelPath))?.kind !== 'file') {
    throw new UsageError('--kernel', `${options.kernelPath} is not a file`, 'pass the path of a bzImage/vmlinuz, or leave --kernel out');
  }
  if (flags.markdown === '') throw new UsageError('--markdown', 'empty file name', 'give a file name or leave it out for the default');
  if (io.isTTY && !flags.json) io.stderr('Checking this host (about 10 s: QEMU is started a few times)…\n');
  const report = await runDoctor(env, options);
  io.stdout(flags.json ? renderDoctorJson(report) : renderDoctorText(report, { colour: io.isTTY && !io.env.NO_COLOR }));
  if (flags.markdown !== undefined && flags.markdown !== false) {
    const path = typeof flags.markdown === 'string' ? resolve(io.cwd, flags.markdown) : defaultMarkdownPath(logDir, report.startedAt);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, renderDoctorMarkdown(report, { hostname: hostname() }));
    const note = `Markdown audit written to ${path}\n`;
    if (flags.json) io.stderr(note);
    else io.stdout(note);
  }
  return report.ok ? ExitCode.ok : ExitCode.failed;
}
