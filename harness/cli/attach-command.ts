// `harness attach <run>`: this terminal on the serial console of a VM that `harness boot --keep-running`
// keeps; Ctrl-] detaches and the VM keeps running. `--stop` stops the VM instead.
import { readdir, readFile, stat } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { defaultRepoRoot } from '../boot/repo-root.ts';
import { safeRunName } from '../boot/run-directory.ts';
import type { BootReport, RunOutcome } from '../boot/boot-report.ts';
import { HarnessError, UsageError } from '../errors.ts';
import { type CliIO, ExitCode, type ExitHolder } from './cli-io.ts';
import { bridgeTerminal, detachKeyName, type GuestChannel } from './console-bridge.ts';
import type { AttachPointer } from './console-server.ts';
import { attachPointerFile } from '../boot/run-directory.ts';
import { commandEnvironment, environmentHelp } from './environment-help.ts';

interface AttachFlags {
  stop?: boolean;
  logDir?: string;
  json?: boolean;
}

/** The run exists but no VM of it can be reached: never kept running, or already stopped. Exit code 2, like a UsageError. */
export class RunNotAttachableError extends HarnessError {
  override readonly name = 'RunNotAttachableError';
  readonly fix = 'boot it with `harness boot --keep-running`, then attach to the folder it prints';
  constructor(
    /** The run's log folder. */
    readonly logDir: string,
    /** Why it cannot be attached to. */
    readonly problem: string,
  ) {
    super(`run ${logDir}: ${problem}`);
    this.message += `\nFix: ${this.fix}`;
  }
}

/** Another terminal is attached to the console already; one at a time, so the guest's terminal queries get one answer. */
export class ConsoleBusyError extends HarnessError {
  override readonly name = 'ConsoleBusyError';
  constructor(
    readonly logDir: string,
    readonly serverSaid: string,
  ) {
    super(`Console of ${logDir} is busy: ${serverSaid}`);
  }
}

/** The stopped VM's report cannot be read, so its verdict is unknown: exit code 1, never a pass. */
export class ReportUnreadableError extends HarnessError {
  override readonly name = 'ReportUnreadableError';
  constructor(
    readonly reportPath: string,
    readonly problem: string,
  ) {
    super(`The VM stopped, but its report ${reportPath} ${problem}: its checks' verdict is unknown`);
  }
}

export interface RunVerdict {
  outcome: RunOutcome;
  passed: boolean;
  /** 0 for a pass, and for a run that asked for no checks and booted (or matched); 1 otherwise. */
  exitCode: ExitCode;
}

/** The verdict of a stopped run from its report.json (reports from before `outcome` existed: by `passed`). */
export async function readRunVerdict(reportPath: string): Promise<RunVerdict> {
  let text: string;
  try {
    text = await readFile(reportPath, 'utf8');
  } catch (error) {
    throw new ReportUnreadableError(reportPath, `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  let report: Partial<BootReport>;
  try {
    report = JSON.parse(text) as Partial<BootReport>;
  } catch (error) {
    throw new ReportUnreadableError(reportPath, `is not JSON (${(error as Error).message})`);
  }
  if (typeof report.passed !== 'boolean') throw new ReportUnreadableError(reportPath, 'has no `passed` field');
  const outcome: RunOutcome = report.outcome ?? (report.passed ? 'passed' : 'failed');
  const passed = report.passed && outcome === 'passed';
  return { outcome, passed, exitCode: outcome === 'failed' ? ExitCode.failed : ExitCode.ok };
}

const connectTimeoutMs = 5000;
/** `--stop` waits this long for the VM to stop and its report to be written. */
const stopTimeoutMs = 120_000;

export function registerAttachCommand(program: Command, io: CliIO, exit: ExitHolder): void {
  program
    .command('attach')
    .description('Attach this terminal to the serial console of a VM kept running by `harness boot --keep-running`.')
    .argument('<run>', 'the run folder (boot-logs/<run>, as `harness boot --keep-running` prints it) or the run\'s --name')
    .option('--stop', 'stop the VM instead of attaching: waits until it has stopped and its report is written')
    .addOption(new Option('--log-dir <dir>', 'where to look up a run by name (default: the boot default, ./boot-logs)').env('HARNESS_LOG_DIR'))
    .option('--json', 'with --stop: print one JSON object ({ run, stopped, outcome, passed }); the exit code is the run\'s verdict')
    .addHelpText(
      'after',
      `\n${detachKeyName} (0x1d) detaches; the VM keeps running. It stops on \`harness attach <run> --stop\`, on Ctrl-C\n` +
        `in the \`harness boot --keep-running\` process, or when the guest powers off. Needs a terminal on stdin.\n` +
        `The session is recorded in the run's console.raw and console.cast like the rest of the boot.\n` +
        environmentHelp(commandEnvironment.attach),
    )
    .action(async (run: string, flags: AttachFlags) => {
      try {
        exit.code = await attach(run, flags, io);
      } catch (error) {
        if (!(error instanceof HarnessError)) throw error;
        io.stderr(`harness attach: ${error.message}\n`);
        exit.code = error instanceof UsageError || error instanceof RunNotAttachableError ? ExitCode.usage : ExitCode.failed;
      }
    });
}

async function attach(run: string, flags: AttachFlags, io: CliIO): Promise<ExitCode> {
  if (flags.json && !flags.stop) {
    throw new UsageError('--json', 'only applies with --stop: an attached console owns stdout', 'drop --json, or add --stop');
  }
  const input = io.stdin;
  if (!flags.stop && !input?.isTTY) {
    throw new UsageError('stdin', 'is not a terminal, so there is no keyboard to attach', 'run it from an interactive terminal; to stop the VM without one, add --stop');
  }
  const logDir = await findRun(run, flags.logDir, io);
  const pointer = await readPointer(logDir);
  const { socket, answer, rest } = await request(pointer, logDir, flags.stop ? 'stop' : 'attach');

  if (flags.stop) {
    if (answer !== 'stopping') throw new ConsoleBusyError(logDir, answer);
    const final = await lastLine(socket, rest, stopTimeoutMs);
    if (final !== 'stopped') throw new HarnessError(`Stopping ${logDir} failed: ${final || 'no answer'}`);
    const verdict = await readRunVerdict(join(logDir, 'report.json'));
    if (flags.json) io.stdout(`${JSON.stringify({ run: logDir, stopped: true, outcome: verdict.outcome, passed: verdict.passed })}\n`);
    else io.stdout(`Stopped ${pointer.name}: ${verdict.outcome.toUpperCase()}. Report: ${join(logDir, 'report.html')}\n`);
    return verdict.exitCode;
  }

  if (answer !== 'ok') {
    socket.destroy();
    throw new ConsoleBusyError(logDir, answer);
  }
  io.stdout(`Attached to the serial console of ${pointer.name}: ${detachKeyName} detaches, the VM keeps running.\n`);
  if (rest.length > 0) io.stdout(new TextDecoder().decode(rest, { stream: true }));
  const end = await bridgeTerminal(socketChannel(socket), { input: input!, write: io.stdout });
  socket.end();
  socket.destroy();
  io.stdout(
    end === 'detached'
      ? `\nDetached from ${pointer.name}; the VM keeps running. Stop it with: harness attach ${logDir} --stop\n`
      : `\nThe VM of ${pointer.name} stopped.\n`,
  );
  return ExitCode.ok;
}

/** A folder path, or a run name looked up in the log root (the newest run of that name that is kept running). */
async function findRun(run: string, logDirOption: string | undefined, io: CliIO): Promise<string> {
  const asPath = resolve(io.cwd, run);
  // Not a folder: then it is a run name, looked up below.
  if ((await stat(asPath).catch(() => undefined))?.isDirectory()) return asPath;
  const root = resolve(io.cwd, logDirOption ?? io.env.HARNESS_LOG_DIR ?? join(defaultRepoRoot(), 'boot-logs'));
  const safe = safeRunName(run).replace(/[.]/g, '\\.');
  const named = new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d-\\d\\d-\\d\\dZ-${safe}(-\\d+)?$`);
  // No log root: no run of that name, which the UsageError below says with the root it looked in.
  const entries = await readdir(root).catch(() => [] as string[]);
  const matches = entries.filter((entry) => named.test(entry)).sort().reverse();
  if (matches.length === 0) {
    throw new UsageError(`run \`${run}\``, `no run folder of that name in ${root}`, 'pass the folder `harness boot --keep-running` printed, or set --log-dir / HARNESS_LOG_DIR to where its runs go');
  }
  for (const match of matches) {
    // No pointer: that run is not kept running; try the next one.
    if (await stat(join(root, match, attachPointerFile)).catch(() => undefined)) return join(root, match);
  }
  return join(root, matches[0]!);
}

async function readPointer(logDir: string): Promise<AttachPointer> {
  let text: string;
  try {
    text = await readFile(join(logDir, attachPointerFile), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw new RunNotAttachableError(logDir, `its ${attachPointerFile} cannot be read (${code ?? (error as Error).message})`);
    throw new RunNotAttachableError(logDir, `is not running (no ${attachPointerFile}: it was not booted with --keep-running, or it has stopped)`);
  }
  return JSON.parse(text) as AttachPointer;
}

async function request(pointer: AttachPointer, logDir: string, what: 'attach' | 'stop'): Promise<{ socket: Socket; answer: string; rest: Buffer }> {
  const socket = connect(pointer.socket);
  try {
    await new Promise<void>((resolveConnect, reject) => {
      const timer = setTimeout(() => reject(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })), connectTimeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolveConnect();
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  } catch (error) {
    socket.destroy();
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    const alive = processAlive(pointer.pid);
    throw new RunNotAttachableError(
      logDir,
      alive ? `does not answer on ${pointer.socket} (${code})` : `is not running: its boot process (pid ${pointer.pid}) is gone (${code} on ${pointer.socket})`,
    );
  }
  socket.write(`${what}\n`);
  // No answer is an answer too: the caller reports '' as what the server said.
  const { line, rest } = await firstLine(socket, connectTimeoutMs).catch(() => ({ line: '', rest: Buffer.alloc(0) }));
  return { socket, answer: line, rest };
}

/** Reads one line; the socket is left paused with nothing lost after the line. */
function firstLine(socket: Socket, timeoutMs: number): Promise<{ line: string; rest: Buffer }> {
  return new Promise((resolveLine, reject) => {
    let buffer = Buffer.alloc(0);
    const timer = setTimeout(() => finish(new Error('no answer')), timeoutMs);
    const onData = (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const newline = buffer.indexOf(0x0a);
      if (newline >= 0) finish(undefined, buffer.subarray(0, newline).toString('utf8').trim(), buffer.subarray(newline + 1));
    };
    const onEnd = () => finish(undefined, buffer.toString('utf8').trim(), Buffer.alloc(0));
    const finish = (error?: Error, line = '', rest = Buffer.alloc(0)) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.pause();
      if (error) reject(error);
      else resolveLine({ line, rest });
    };
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    socket.resume();
  });
}

/** The last line the server sends before it hangs up. */
async function lastLine(socket: Socket, rest: Buffer, timeoutMs: number): Promise<string> {
  let text = rest.toString('utf8');
  await new Promise<void>((resolveEnd) => {
    const timer = setTimeout(resolveEnd, timeoutMs);
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    socket.once('close', () => {
      clearTimeout(timer);
      resolveEnd();
    });
    socket.resume();
  });
  socket.destroy();
  return text.trim().split('\n').at(-1)?.trim() ?? '';
}

function socketChannel(socket: Socket): GuestChannel {
  return {
    write: (data) => socket.write(data),
    onData: (listener) => {
      socket.on('data', listener);
      socket.resume();
      return () => socket.off('data', listener);
    },
    ended: new Promise((resolveEnd) => {
      if (socket.destroyed) resolveEnd();
      else socket.once('close', () => resolveEnd());
    }),
  };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
