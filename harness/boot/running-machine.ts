// A started machine: QEMU (paused until resume()), its QMP, its serial console with console.txt, and its
// forwarded ports. It knows nothing of reports, checks or phases: bytes and lines go to the callbacks given.
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { SerialConsole } from '../console/serial-console.ts';
import { QemuProcess } from '../qemu/qemu-process.ts';
import type { VmSpec } from '../qemu/vm-spec.ts';
import { ConsoleTextLog } from './console-log.ts';

export interface MachineFiles {
  /** The run's log folder, named in console errors. */
  logDir: string;
  qemuStderr: string;
  qemuArgv: string;
  consoleText: string;
  pidFile: string;
}

export interface MachineStartOptions {
  files: MachineFiles;
  /** False: no console line fails the boot (the caller's `failurePatterns: false`). */
  failurePatterns: boolean;
  /** QEMU runs, still paused, with its pid: before any console byte. */
  onStarted(qemu: QemuProcess): void;
  /** Raw console bytes as they come; subscribed before the guest runs, so none is missed. */
  onBytes(chunk: Uint8Array): void;
  /** Each normalised console line (kernel lines included), with milliseconds since QEMU started. */
  onLine(line: string, sinceStartMs: number): void;
  /** The boot phase the console's errors name until the caller updates `console.context.phase`. */
  phase: string;
}

export class RunningMachine {
  private constructor(
    readonly qemu: QemuProcess,
    readonly console: SerialConsole,
    private readonly textLog: ConsoleTextLog,
  ) {}

  /**
   * Starts QEMU paused, writes qemu-argv.json and attaches the serial console (console.txt follows it).
   * `startedAtMs` is the run's zero (monotonic), taken by the caller as it marks the `qemu` phase. A
   * failure after QEMU started stops it again and closes console.txt before the error is rethrown.
   */
  static async start(spec: VmSpec, startedAtMs: number, options: MachineStartOptions): Promise<RunningMachine> {
    const { files } = options;
    const textLog = new ConsoleTextLog(files.consoleText);
    let qemu: QemuProcess | undefined;
    try {
      qemu = await QemuProcess.start(spec, { stderrPath: files.qemuStderr, pidFilePath: files.pidFile });
      options.onStarted(qemu);
      qemu.transport.onData((chunk) => options.onBytes(chunk));
      await writeFile(files.qemuArgv, `${JSON.stringify(qemu.commandLine, null, 2)}\n`);
      const serial = new SerialConsole(qemu.transport, {
        ...(options.failurePatterns ? {} : { failurePatterns: [] }),
        onLine: (line, atMs) => {
          const sinceStartMs = atMs - startedAtMs;
          textLog.write(line, sinceStartMs);
          options.onLine(line, sinceStartMs);
        },
      });
      serial.context = {
        phase: options.phase,
        accel: spec.accel,
        logPath: files.logDir,
        describeExit: () => describeQemuExit(readTextSync(files.qemuStderr)),
      };
      return new RunningMachine(qemu, serial, textLog);
    } catch (error) {
      // The error that stopped the start is what the caller sees; these clean-ups are best effort.
      await qemu?.stop().catch(() => undefined);
      // As above: console.txt is only closed here, what it holds is already written.
      await textLog.close().catch(() => undefined);
      throw error;
    }
  }

  get pid(): number {
    return this.qemu.pid;
  }

  /** The host port forwarded to the guest's `guestPort` (user-mode NICs only; read over QMP). */
  async forwardedPort(guestPort: number): Promise<number | undefined> {
    if (!this.qemu.spec.nics.some((nic) => nic.mode === 'user')) return undefined;
    return (await this.qemu.hostForwards()).find((forward) => forward.guestPort === guestPort)?.hostPort;
  }

  /** Lets the paused guest run. */
  resume(): Promise<void> {
    return this.qemu.resume();
  }

  /** Stops QEMU (idempotent; see QemuProcess.stop). */
  stop(): Promise<void> {
    return this.qemu.stop();
  }

  /** Ends the console (pending expects fail as closed) and flushes console.txt. */
  async close(): Promise<void> {
    this.console[Symbol.dispose]();
    await this.textLog.close();
  }
}

function readTextSync(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    // Deliberate: only used to describe QEMU's exit; no stderr file means QEMU said nothing there.
    return '';
  }
}

function describeQemuExit(stderr: string): string {
  const text = stderr.trim();
  return text ? `QEMU said:\n${text.split('\n').slice(-20).map((line) => `  | ${line}`).join('\n')}` : 'QEMU printed nothing on stderr.';
}
