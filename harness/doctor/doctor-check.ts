// The shape of one doctor check and of its result; every check reports what it saw, why it matters, how to fix it.
import type { AcceleratorVerdict } from '../qemu/accelerator-probe.ts';
import type { DoctorEnvironment } from './doctor-environment.ts';

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

/** What a check returns; the runner adds id, title and durationMs. */
export interface CheckFinding {
  status: CheckStatus;
  /** What was observed, one line. */
  seen: string;
  /** Why the condition matters to a boot test. */
  why: string;
  /** How to fix it; empty when nothing needs fixing. */
  fix: string;
  /** What was run or read, as a person would type it. */
  command: string;
}

export interface CheckResult extends CheckFinding {
  id: string;
  title: string;
  durationMs: number;
}

export interface DoctorOptions {
  /** Boot image to inspect without booting it (`--iso`). */
  isoPath?: string | undefined;
  /** Kernel for the KVM probe; default: the default image's kernel. */
  kernelPath?: string | undefined;
  /** Default VM memory the memory check compares against. */
  vmMemoryMiB: number;
  logDir: string;
  cacheDir: string;
  /** Repository root, where scripts/build-fixture lives. */
  projectDir: string;
}

export interface QemuLookup {
  binary: string | undefined;
  /** Why it was not found (HARNESS_QEMU wrong, not on PATH). */
  problem: string | undefined;
}

export interface DoctorContext {
  env: DoctorEnvironment;
  options: DoctorOptions;
  qemu: QemuLookup;
  /** Shares one computation between checks (the ISO is parsed once for four checks). */
  memo<T>(key: string, compute: () => Promise<T>): Promise<T>;
  /** The KVM check hands its verdict to the report. */
  recordVerdict(verdict: AcceleratorVerdict): void;
}

export interface DoctorCheck {
  id: string;
  title: string;
  /** The runner fails the check when it has not answered by then. */
  timeoutMs: number;
  /** Checks that start a QEMU guest run one at a time: two guests on two cores would slow both. */
  lane?: 'qemu';
  run(context: DoctorContext): Promise<CheckFinding>;
}

export function finding(
  status: CheckStatus,
  seen: string,
  command: string,
  why: string,
  fix = '',
): CheckFinding {
  return { status, seen, why, fix, command };
}
