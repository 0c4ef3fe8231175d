// Everything a doctor check may ask of the host, as one injectable interface: unit tests pass fakes, no QEMU.
import type { ProcessResult } from '../util/short-process.ts';
import { HarnessError } from '../errors.ts';
import type { AcceleratorVerdict } from '../qemu/accelerator-probe.ts';

/** A finished short-lived process: exit code, output, whether it timed out or could not start. */
export type RunResult = ProcessResult;

export interface FileFacts {
  kind: 'file' | 'directory' | 'char-device' | 'other';
  sizeBytes: number;
  /** Device number of a device node. */
  rdev: number;
}

/** A QEMU started by the doctor with a QMP socket; only QMP is reachable from a check. */
export interface QemuSession {
  execute(command: string, args?: Record<string, unknown>): Promise<unknown>;
  /** HMP through QMP; returns the raw text, errors included (HMP reports them as a successful return). */
  human(commandLine: string): Promise<string>;
}

export interface QemuSessionResult<T> {
  /** False when QEMU exited or QMP never answered before `use` ran. */
  started: boolean;
  value?: T | undefined;
  /** Why starting or `use` failed. */
  error?: string | undefined;
  /** True when QEMU exited by itself after QMP `quit` within the grace period (no kill needed). */
  stoppedCleanly: boolean;
  exitCode: number | null;
  stderr: string;
}

export interface PtyResult {
  output: string;
  exitCode: number | undefined;
  /** Why node-pty failed to load or spawn. */
  error?: string | undefined;
}

export interface DefaultImageFacts {
  kernel: string;
  kernelVersion: string;
  iso: string;
}

export interface HostFactsForDoctor {
  nodeVersion: string;
  platform: string;
  cpuCount: number;
}

/** A file the doctor had to look at could not be read for a reason other than its absence (EACCES, EIO, EISDIR). */
export class DoctorProbeError extends HarnessError {
  override readonly name = 'DoctorProbeError';
  constructor(
    readonly path: string,
    readonly code: string,
  ) {
    super(`cannot look at ${path}: ${code}`);
  }
}

export interface DoctorEnvironment {
  env: Readonly<Record<string, string | undefined>>;
  facts: HostFactsForDoctor;
  /** argv only, never a shell; never throws. */
  run(file: string, args: readonly string[], options: { timeoutMs: number; cwd?: string }): Promise<RunResult>;
  readText(path: string): Promise<string | undefined>;
  readBytes(path: string, position: number, length: number): Promise<Buffer | undefined>;
  stat(path: string): Promise<FileFacts | undefined>;
  access(path: string, mode: 'r' | 'rw' | 'x'): Promise<boolean>;
  /** Free bytes on the file system holding `path` (or its nearest existing parent). */
  freeBytes(path: string): Promise<number | undefined>;
  which(name: string): Promise<string | undefined>;
  spawnPty(file: string, args: readonly string[], timeoutMs: number): Promise<PtyResult>;
  withQemu<T>(
    qemuBinary: string,
    args: readonly string[],
    use: (session: QemuSession) => Promise<T>,
    timeoutMs: number,
  ): Promise<QemuSessionResult<T>>;
  chooseAccelerator(options: { qemuBinary: string; kernelPath: string | undefined; cacheDir: string }): Promise<AcceleratorVerdict>;
  /** The default image if built; a string saying why not otherwise. */
  locateDefaultImage(cacheDir: string): Promise<DefaultImageFacts | string>;
}
