// Last good against first bad: two recorded runs compared check by check, phase by phase, by accelerator,
// QEMU command line and image identity, and at the first console line where they diverge. Pure.
import type { BootPhase, PhaseMark } from '../boot/boot-phase.ts';
import type { BootReport } from '../boot/boot-report.ts';
import { normaliseConsole, type NormalisedLine } from './console-noise.ts';
import { retryLine } from '../boot/failure-class.ts';

/** One recorded run: its report and its console.txt lines. */
export interface RecordedRun {
  dir: string;
  report: BootReport;
  consoleLines: readonly string[];
}

export type CheckState = 'passed' | 'failed' | 'absent';

export interface CheckDifference {
  id: string;
  title: string;
  before: CheckState;
  after: CheckState;
  verdictBefore: string | undefined;
  verdictAfter: string | undefined;
  changed: boolean;
}

export interface PhaseDifference {
  phase: BootPhase;
  /** How long the phase lasted (until the next phase), in ms; undefined when the run did not reach it or it was the last. */
  durationBeforeMs: number | undefined;
  durationAfterMs: number | undefined;
  /** (after − before) / before in per cent, rounded to a whole number. */
  changePercent: number | undefined;
  startBeforeMs: number | undefined;
  startAfterMs: number | undefined;
}

export interface ImageSide {
  kind: string;
  files: { role: string; path: string; sha256: string; sizeBytes: number }[];
  volumeId: string | undefined;
  kernelVersion: string | undefined;
}

export interface ConsoleDivergence {
  /** 1-based line numbers in each run's console.txt; undefined when that run's console ended there. */
  lineBefore: number | undefined;
  lineAfter: number | undefined;
  /** The diverging lines, normalised (what was compared). */
  textBefore: string | undefined;
  textAfter: string | undefined;
  /** Normalised lines both runs printed just before the divergence. */
  commonContext: string[];
  /** Normalised lines from the divergence on, a few of each run. */
  followingBefore: string[];
  followingAfter: string[];
  /** Timing-dependent kernel lines stepped over before this divergence: printed at another place in the other run, or in one run only. */
  toleratedLines: number;
}

export interface RunComparison {
  before: { dir: string; name: string; startedAt: string; passed: boolean; error: string | undefined; retry: string | undefined };
  after: { dir: string; name: string; startedAt: string; passed: boolean; error: string | undefined; retry: string | undefined };
  checks: CheckDifference[];
  phases: PhaseDifference[];
  accelerator: { before: string; after: string; reasonBefore: string; reasonAfter: string; changed: boolean };
  /** Guest CPUs (QEMU -smp) and how they were chosen; a change makes the kernel's CPU bring-up differ. */
  vcpus: { before: number | undefined; after: number | undefined; chosenBefore: string | undefined; chosenAfter: string | undefined; changed: boolean };
  timeoutScale: { before: number | undefined; after: number | undefined };
  qemuArguments: { removed: string[]; added: string[] };
  image: { before: ImageSide; after: ImageSide; same: boolean | undefined };
  /** undefined when the normalised consoles are identical. */
  console: ConsoleDivergence | undefined;
}

export const contextLines = 3;
export const followingLines = 4;

const phaseOrder: readonly BootPhase[] = ['qemu', 'firmware', 'ipxe', 'ipxe-dhcp', 'ipxe-script', 'ipxe-kernel', 'ipxe-initrd', 'bootloader', 'menu', 'kernel', 'userspace', 'prompt', 'ssh', 'checks', 'stopped'];

export function compareRuns(before: RecordedRun, after: RecordedRun): RunComparison {
  const a = before.report;
  const b = after.report;
  const [vcpusBefore, vcpusAfter] = [vcpusOf(a), vcpusOf(b)];
  const vcpus = { before: vcpusBefore, after: vcpusAfter, chosenBefore: a.cpus?.chosenBy, chosenAfter: b.cpus?.chosenBy, changed: vcpusBefore !== vcpusAfter };
  return {
    before: side(before),
    after: side(after),
    checks: compareChecks(a, b),
    phases: comparePhases(a.phases, b.phases),
    accelerator: {
      before: a.accelerator?.accel ?? 'unknown',
      after: b.accelerator?.accel ?? 'unknown',
      reasonBefore: a.accelerator?.reason ?? '',
      reasonAfter: b.accelerator?.reason ?? '',
      changed: (a.accelerator?.accel ?? 'unknown') !== (b.accelerator?.accel ?? 'unknown'),
    },
    vcpus,
    timeoutScale: { before: a.timeoutScale?.factor, after: b.timeoutScale?.factor },
    qemuArguments: compareArguments(normaliseArgv(a), normaliseArgv(b)),
    image: compareImages(a, b),
    console: firstDivergence(normaliseConsole(before.consoleLines), normaliseConsole(after.consoleLines), { printkRun: vcpus.changed ? vcpuChangePrintkRun : toleratedPrintkRun }),
  };
}

/** The guest's vCPU count: the -smp the harness gave QEMU (a plain number, qemu-argv.ts; extra arguments cannot set it). */
function vcpusOf(report: BootReport): number | undefined {
  const at = report.qemu.argv.indexOf('-smp');
  return at >= 0 ? Number(report.qemu.argv[at + 1]) : report.cpus?.count;
}

function side(run: RecordedRun): RunComparison['before'] {
  const retry = run.report.retry;
  return {
    dir: run.dir,
    name: run.report.name,
    startedAt: run.report.startedAt,
    passed: run.report.passed,
    error: run.report.error ? `${run.report.error.name}: ${run.report.error.message.split('\n')[0]}` : undefined,
    retry: retry ? retryLine(retry, run.report.passed) : undefined,
  };
}

function compareChecks(a: BootReport, b: BootReport): CheckDifference[] {
  const ids = [...new Set([...a.checks.map((check) => check.id), ...b.checks.map((check) => check.id)])];
  return ids.map((id) => {
    const left = a.checks.find((check) => check.id === id);
    const right = b.checks.find((check) => check.id === id);
    const state = (check: typeof left): CheckState => (check ? (check.passed ? 'passed' : 'failed') : 'absent');
    return {
      id,
      title: (right ?? left)!.title,
      before: state(left),
      after: state(right),
      verdictBefore: left?.verdict,
      verdictAfter: right?.verdict,
      changed: state(left) !== state(right),
    };
  });
}

function phaseTimes(marks: readonly PhaseMark[]): Map<BootPhase, { startMs: number; durationMs: number | undefined }> {
  const sorted = [...marks].sort((x, y) => x.atMs - y.atMs);
  return new Map(sorted.map((mark, index) => [mark.phase, { startMs: mark.atMs, durationMs: sorted[index + 1] ? sorted[index + 1]!.atMs - mark.atMs : undefined }]));
}

function comparePhases(a: readonly PhaseMark[], b: readonly PhaseMark[]): PhaseDifference[] {
  const left = phaseTimes(a);
  const right = phaseTimes(b);
  return phaseOrder
    .filter((phase) => left.has(phase) || right.has(phase))
    .map((phase) => {
      const before = left.get(phase);
      const after = right.get(phase);
      const durationBeforeMs = round(before?.durationMs);
      const durationAfterMs = round(after?.durationMs);
      return {
        phase,
        durationBeforeMs,
        durationAfterMs,
        changePercent: durationBeforeMs !== undefined && durationAfterMs !== undefined && durationBeforeMs > 0 ? Math.round(((durationAfterMs - durationBeforeMs) / durationBeforeMs) * 100) : undefined,
        startBeforeMs: round(before?.startMs),
        startAfterMs: round(after?.startMs),
      };
    });
}

function round(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : Math.round(ms);
}

/**
 * QEMU's argv with what differs between any two runs masked (the binary's path aside): the run dir,
 * the log folder, forwarded ports. Options are paired with their values so a changed value shows whole.
 */
export function normaliseArgv(report: BootReport): string[] {
  const argv = report.qemu.argv.slice(1);
  const logDir = report.logs.dir;
  const masked = argv.map((arg) =>
    arg
      .replaceAll(logDir, '<logs>')
      .replace(/\/(?:tmp|var\/tmp)\/boot-harness-[\w-]+/g, '<run-dir>')
      .replace(/hostfwd=tcp:127\.0\.0\.1:\d+-/g, 'hostfwd=tcp:127.0.0.1:<port>-')
      // The chain server listens on a port of its own each run.
      .replace(/(bootfile=https?:\/\/[^/:,]+):\d+/g, '$1:<port>')
      .replace(/pre_nixos\.root_key=\S+/g, 'pre_nixos.root_key=<key>'),
  );
  const pairs: string[] = [];
  for (let index = 0; index < masked.length; index++) {
    const arg = masked[index]!;
    const next = masked[index + 1];
    if (arg.startsWith('-') && next !== undefined && !next.startsWith('-')) {
      pairs.push(`${arg} ${next}`);
      index++;
    } else {
      pairs.push(arg);
    }
  }
  return pairs;
}

function compareArguments(a: readonly string[], b: readonly string[]): { removed: string[]; added: string[] } {
  const remaining = [...b];
  const removed: string[] = [];
  for (const arg of a) {
    const at = remaining.indexOf(arg);
    if (at >= 0) remaining.splice(at, 1);
    else removed.push(arg);
  }
  return { removed, added: remaining };
}

export function kernelVersionSeen(report: BootReport): string | undefined {
  const evidence = report.phases.find((mark) => mark.phase === 'kernel')?.evidence;
  return evidence ? /Linux version (\S+)/.exec(evidence)?.[1] : undefined;
}

function imageSide(report: BootReport): ImageSide {
  return {
    kind: typeof report.image.kind === 'string' ? report.image.kind : 'image',
    files: report.imageIdentity?.files ?? [],
    volumeId: report.imageIdentity?.volumeId,
    kernelVersion: kernelVersionSeen(report),
  };
}

function compareImages(a: BootReport, b: BootReport): RunComparison['image'] {
  const before = imageSide(a);
  const after = imageSide(b);
  const digests = (image: ImageSide) => image.files.map((file) => `${file.role}:${file.sha256}`).join(' ');
  // Unknown when either run did not record digests (older reports, remote chains).
  const same = before.files.length && after.files.length ? digests(before) === digests(after) && before.kernelVersion === after.kernelVersion : undefined;
  return { before, after, same };
}

/**
 * Kernel lines whose presence or order depends on host timing (APIC calibration against the PM timer,
 * async driver probes, delayed work, units systemd starts in parallel) may appear in one run only or at
 * another place. Stepped over, in this order of preference (firstDivergence):
 * - a kernel line the other run printed too, within movedLineReach lines: here, and there when it comes;
 * - systemd's progress in the kernel log, in one run only (how much of it there is depends on when
 *   journald takes over);
 * - up to toleratedPrintkRun kernel lines on each side that the other run did not print (vcpuChangePrintkRun
 *   when the runs had different vCPU counts), when the two consoles agree again right after them;
 * - a line the same as the one before it in its run (a prompt drawn again).
 * Warnings and errors never are.
 */
export const toleratedPrintkRun = 3;
/**
 * Between runs with different vCPU counts (chosen automatically from the idle host cores, so it can change
 * from one night to the next): the SMP bring-up differs by design. Measured: a 2-vCPU boot against a 1-vCPU
 * one of the same image needs 5 (mtrr's four lines about CPUs, the TSC's calibration against HPET).
 */
export const vcpuChangePrintkRun = 8;
export const movedLineReach = 400;
const printkLine = /^\[<time>\]/;
const neverTolerated = /warn|error|fail|bug|oops|panic|call trace|segfault|denied/i;
/** Clock calibration under TCG depends on host load: its lines (some saying "failed") are timing, not the image. */
const timingNoise = /\btsc: |TSC|APIC calibration|APIC delta|clocksource|hpet|calibrat/;

const systemdToKernelLog = /^\[<time>\] systemd\[<pid>\]: /;

function systemdProgress(line: NormalisedLine): boolean {
  return systemdToKernelLog.test(line.text) && !neverTolerated.test(line.text);
}

function repeated(lines: readonly NormalisedLine[], index: number): boolean {
  return index > 0 && lines[index]!.text === lines[index - 1]!.text && !neverTolerated.test(lines[index]!.text);
}

function tolerable(line: NormalisedLine): boolean {
  return printkLine.test(line.text) && (!neverTolerated.test(line.text) || timingNoise.test(line.text));
}

/** The fewest tolerable lines to step over on each side (at most `run` each) so the consoles agree again. */
function resynchronise(a: readonly NormalisedLine[], i: number, b: readonly NormalisedLine[], j: number, run: number): [number, number] | undefined {
  for (let total = 1; total <= 2 * run; total++) {
    for (let skipA = Math.max(0, total - run); skipA <= Math.min(total, run); skipA++) {
      const skipB = total - skipA;
      if (i + skipA >= a.length || j + skipB >= b.length) continue;
      if (a[i + skipA]!.text !== b[j + skipB]!.text) continue;
      if (a.slice(i, i + skipA).every(tolerable) && b.slice(j, j + skipB).every(tolerable)) return [skipA, skipB];
    }
  }
  return undefined;
}

/** Lines one run printed earlier than the other, by text, waiting to be met (and stepped over) in the other. */
class MovedLines {
  private readonly waiting = new Map<string, number>();

  expect(text: string): void {
    this.waiting.set(text, (this.waiting.get(text) ?? 0) + 1);
  }

  /** True, and forgotten, when this line was already met in the other run. */
  meet(text: string): boolean {
    const count = this.waiting.get(text);
    if (!count) return false;
    if (count === 1) this.waiting.delete(text);
    else this.waiting.set(text, count - 1);
    return true;
  }
}

/** How many lines after `from` this tolerable line comes again, within movedLineReach; undefined when it does not. */
function printedAhead(lines: readonly NormalisedLine[], from: number, line: NormalisedLine): number | undefined {
  if (!tolerable(line)) return undefined;
  const end = Math.min(lines.length, from + movedLineReach);
  for (let k = from; k < end; k++) if (lines[k]!.text === line.text) return k - from;
  return undefined;
}

/** @param options.printkRun how many kernel lines in one run only may be stepped over at a time (toleratedPrintkRun). */
export function firstDivergence(a: readonly NormalisedLine[], b: readonly NormalisedLine[], options: { printkRun?: number } = {}): ConsoleDivergence | undefined {
  const printkRun = options.printkRun ?? toleratedPrintkRun;
  let i = 0;
  let j = 0;
  let tolerated = 0;
  const waitingInB = new MovedLines();
  const waitingInA = new MovedLines();
  /** Steps over this run's line as tolerated; `comesAgain`: the other run prints it later, stepped over there too. */
  const stepA = (comesAgain = false) => {
    if (comesAgain) waitingInB.expect(a[i]!.text);
    i++;
    tolerated++;
  };
  const stepB = (comesAgain = false) => {
    if (comesAgain) waitingInA.expect(b[j]!.text);
    j++;
    tolerated++;
  };
  while (i < a.length || j < b.length) {
    // A line the other run printed earlier, stepped over there, is stepped over here too.
    if (i < a.length && waitingInA.meet(a[i]!.text)) {
      i++;
      continue;
    }
    if (j < b.length && waitingInB.meet(b[j]!.text)) {
      j++;
      continue;
    }
    if (i === a.length || j === b.length) break;
    if (a[i]!.text === b[j]!.text) {
      i++;
      j++;
      continue;
    }
    // A block printed earlier in one run than in the other: both lines here come again in the other run.
    // Stepping over the side whose block is shorter keeps the longest stretch of lines matched. This goes
    // first: taking a moved line for one in one run only would leave its twin unmatched further on.
    const bLineInA = printedAhead(a, i + 1, b[j]!);
    const aLineInB = printedAhead(b, j + 1, a[i]!);
    if (bLineInA !== undefined && aLineInB !== undefined) {
      if (bLineInA <= aLineInB) stepA(true);
      else stepB(true);
      continue;
    }
    // systemd writes its progress to the kernel log only until journald is up: how much of it the console
    // shows depends on timing, so any number of such lines in one run only are stepped over.
    if (bLineInA === undefined && systemdProgress(b[j]!)) {
      stepB();
      continue;
    }
    if (aLineInB === undefined && systemdProgress(a[i]!)) {
      stepA();
      continue;
    }
    // Before a repeated line: a kernel line landing between two prompts in one run (the link coming up as
    // the harness takes the shell over) is the difference, not the prompt the other run drew next.
    const skip = resynchronise(a, i, b, j, printkRun);
    if (skip) {
      i += skip[0];
      j += skip[1];
      tolerated += skip[0] + skip[1];
      continue;
    }
    // A prompt drawn again (the harness woke the console with Enter): the same line twice in a row.
    if (repeated(b, j)) {
      stepB();
      continue;
    }
    if (repeated(a, i)) {
      stepA();
      continue;
    }
    // Only one of the two comes again in the other run (systemd's units started in parallel, printing
    // between the lines of a getty): stepping over that one is the only way the two can agree again.
    if (aLineInB !== undefined) stepA(true);
    else if (bLineInA !== undefined) stepB(true);
    else break;
  }
  if (i === a.length && j === b.length) return undefined;
  return {
    lineBefore: a[i]?.lineNumber,
    lineAfter: b[j]?.lineNumber,
    textBefore: a[i]?.text,
    textAfter: b[j]?.text,
    commonContext: a.slice(Math.max(0, i - contextLines), i).map((line) => line.text),
    followingBefore: a.slice(i, i + followingLines).map((line) => line.text),
    followingAfter: b.slice(j, j + followingLines).map((line) => line.text),
    toleratedLines: tolerated,
  };
}
