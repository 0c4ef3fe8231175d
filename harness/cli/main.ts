// Parses argv and dispatches to one command module; only bin/harness.js sets process.exitCode.
import { Command, CommanderError } from 'commander';
import { type CliIO, ExitCode, type ExitHolder, processIO } from './cli-io.ts';
import { registerBootCommand } from './boot-command.ts';
import { registerReplayCommand } from './replay-command.ts';
import { registerDoctorCommand } from './doctor-command.ts';
import { registerAttachCommand } from './attach-command.ts';
import { registerCompareCommand } from './compare-command.ts';
import { registerSummaryCommand } from './summary-command.ts';
import { environmentHelp } from './environment-help.ts';

export async function main(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  const exit: ExitHolder = { code: ExitCode.ok };
  const program = new Command('harness')
    .description('Boot Linux boot images under QEMU and check them over the serial console and SSH.')
    .addHelpText('after', environmentHelp())
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(run with --help for usage)');
  registerBootCommand(program, io, exit);
  registerReplayCommand(program, io, exit);
  registerDoctorCommand(program, io, exit);
  registerAttachCommand(program, io, exit);
  registerCompareCommand(program, io, exit);
  registerSummaryCommand(program, io, exit);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return ExitCode.ok;
      if (error.code === 'commander.help') return ExitCode.ok;
      return ExitCode.usage;
    }
    throw error;
  }
  return exit.code;
}
