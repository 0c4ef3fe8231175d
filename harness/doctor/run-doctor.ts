// Runs every doctor check under its own time limit, QEMU guests one at a time, the rest concurrently.
import type { AcceleratorVerdict } from '../qemu/accelerator-probe.ts';
import { qemuBinaryName } from '../qemu/qemu-binary.ts';
import { monotonicNowMs, type Clock } from '../util/clock.ts';
import type { CheckFinding, CheckResult, CheckStatus, DoctorCheck, DoctorContext, DoctorOptions, QemuLookup } from './doctor-check.ts';
import { DoctorProbeError, type DoctorEnvironment } from './doctor-environment.ts';
import { fixtureToolsCheck, defaultImageCheck } from './checks/fixture-checks.ts';
import { cpuCountCheck, diskSpaceCheck, ipxeRomsCheck, memoryCheck, tapNetworkingCheck, vgaOcrCheck } from './checks/host-checks.ts';
import { isoChecks } from './checks/iso-checks.ts';
import { nodePtyCheck, nodeVersionCheck } from './checks/node-checks.ts';
import {
  kvmCheck,
  qemuAcceleratorsCheck,
  qemuBinaryCheck,
  qemuDevicesCheck,
  qemuSmokeCheck,
  userNetworkCheck,
} from './checks/qemu-checks.ts';

export type StatusTotals = Record<CheckStatus, number>;

export interface DoctorReport {
  startedAt: string;
  durationMs: number;
  checks: CheckResult[];
  /** What `--accel auto` would choose on this host, and why. */
  accelerator: AcceleratorVerdict | undefined;
  totals: StatusTotals;
  /** True when no check failed (warnings allowed). */
  ok: boolean;
}

/** The checks in report order; the ISO checks only with `--iso`. */
export function doctorChecks(options: Pick<DoctorOptions, 'isoPath'>): DoctorCheck[] {
  return [
    nodeVersionCheck,
    nodePtyCheck,
    qemuBinaryCheck,
    qemuAcceleratorsCheck,
    qemuDevicesCheck,
    qemuSmokeCheck,
    kvmCheck,
    userNetworkCheck,
    ipxeRomsCheck,
    vgaOcrCheck,
    fixtureToolsCheck,
    defaultImageCheck,
    diskSpaceCheck,
    memoryCheck,
    cpuCountCheck,
    tapNetworkingCheck,
    ...(options.isoPath === undefined ? [] : isoChecks),
  ];
}

export async function lookupQemu(env: DoctorEnvironment): Promise<QemuLookup> {
  const fromEnv = env.env.HARNESS_QEMU;
  if (fromEnv) {
    const found = fromEnv.includes('/') ? ((await env.access(fromEnv, 'x')) ? fromEnv : undefined) : await env.which(fromEnv);
    return found
      ? { binary: found, problem: undefined }
      : { binary: undefined, problem: `HARNESS_QEMU=${fromEnv} is not an executable file` };
  }
  const found = await env.which(qemuBinaryName);
  return found ? { binary: found, problem: undefined } : { binary: undefined, problem: `${qemuBinaryName} not found on PATH` };
}

export async function runDoctor(
  env: DoctorEnvironment,
  options: DoctorOptions,
  settings: { checks?: DoctorCheck[]; clock?: Clock; now?: () => Date } = {},
): Promise<DoctorReport> {
  const clock = settings.clock ?? monotonicNowMs;
  const startedAt = (settings.now ?? (() => new Date()))().toISOString();
  const startedMs = clock();
  const memos = new Map<string, Promise<unknown>>();
  let accelerator: AcceleratorVerdict | undefined;
  const context: DoctorContext = {
    env,
    options,
    qemu: await lookupQemu(env),
    memo<T>(key: string, compute: () => Promise<T>): Promise<T> {
      if (!memos.has(key)) memos.set(key, compute());
      return memos.get(key) as Promise<T>;
    },
    recordVerdict: (verdict) => (accelerator = verdict),
  };
  const checks = settings.checks ?? doctorChecks(options);
  const results = new Map<DoctorCheck, CheckResult>();
  const runOne = async (check: DoctorCheck) => results.set(check, await runCheck(check, context, clock));
  const qemuLane = checks.filter((check) => check.lane === 'qemu');
  await Promise.all([
    ...checks.filter((check) => check.lane !== 'qemu').map(runOne),
    (async () => {
      for (const check of qemuLane) await runOne(check);
    })(),
  ]);
  const ordered = checks.map((check) => results.get(check)!);
  const totals: StatusTotals = { pass: 0, warn: 0, fail: 0, skip: 0 };
  for (const result of ordered) totals[result.status]++;
  return {
    startedAt,
    durationMs: Math.round(clock() - startedMs),
    checks: ordered,
    accelerator,
    totals,
    ok: totals.fail === 0,
  };
}

async function runCheck(check: DoctorCheck, context: DoctorContext, clock: Clock): Promise<CheckResult> {
  const startedMs = clock();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<CheckFinding>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          status: 'fail',
          seen: `no answer after ${check.timeoutMs} ms`,
          why: 'A prerequisite that hangs here would hang a boot test too.',
          fix: 'Run the command by hand to see where it hangs.',
          command: '(the check timed out)',
        }),
      check.timeoutMs,
    );
  });
  let outcome: CheckFinding;
  try {
    outcome = await Promise.race([check.run(context), timedOut]);
  } catch (error) {
    outcome =
      error instanceof DoctorProbeError
        ? {
            status: 'fail',
            seen: error.message,
            why: 'A file that cannot be read is not an absent one: the doctor cannot decide this condition.',
            fix: `Check ${error.path} by hand (ls -l, permissions, the device or file system behind it).`,
            command: `(reading ${error.path})`,
          }
        : {
            status: 'fail',
            seen: `the check itself failed: ${(error as Error).message.split('\n')[0]}`,
            why: 'The doctor could not decide this condition.',
            fix: 'Report this as a harness bug, with the output of harness doctor --json.',
            command: '(internal error)',
          };
  } finally {
    clearTimeout(timer);
  }
  return { id: check.id, title: check.title, ...outcome, durationMs: Math.round(clock() - startedMs) };
}
