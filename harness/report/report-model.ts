// What the Markdown and HTML reports show, derived once from a BootReport (pure: the caller reads files).
import type { BootPhase } from '../boot/boot-phase.ts';
import type { BootReport } from '../boot/boot-report.ts';

export interface LogLink {
  label: string;
  /** Relative to the report's folder. */
  href: string;
}

export interface ReportDocument {
  report: BootReport;
  /** The last lines of `console.txt`; shown when the run failed. */
  consoleTail?: readonly string[];
  /** Budget of each phase where known, in ms since QEMU started (e.g. prompt: bootTimeoutMs). */
  budgetsMs?: Partial<Record<BootPhase, number>>;
  /** Log files next to the report. */
  logLinks?: readonly LogLink[];
  /** The VGA screenshot (PNG bytes), embedded in the HTML as a data: URI so the page stays one file. */
  screenPng?: Uint8Array;
}

export interface PhaseRow {
  phase: BootPhase;
  startMs: number;
  /** Until the next phase; undefined for the last one. */
  durationMs: number | undefined;
  budgetMs: number | undefined;
  evidence: string;
}

export function phaseRows(document: ReportDocument): PhaseRow[] {
  const marks = [...document.report.phases].sort((a, b) => a.atMs - b.atMs);
  return marks.map((mark, index) => {
    const next = marks[index + 1];
    return {
      phase: mark.phase,
      startMs: mark.atMs,
      durationMs: next ? next.atMs - mark.atMs : undefined,
      // The prompt budget counts from QEMU's start: it only applies to the first boot.
      budgetMs: mark.boot === undefined ? document.budgetsMs?.[mark.phase] : undefined,
      evidence: mark.boot === undefined ? mark.evidence : `boot ${mark.boot}: ${mark.evidence}`,
    };
  });
}

export function formatMs(ms: number | undefined): string {
  if (ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** The QEMU command line as one shell-pasteable string. */
export function shellCommand(argv: readonly string[]): string {
  return argv.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`)).join(' ');
}

export function acceleratorLine(report: BootReport): { accel: string; reason: string } {
  const verdict = report.accelerator;
  if (!verdict) return { accel: 'unknown', reason: 'the run stopped before the accelerator was chosen' };
  return { accel: verdict.accel, reason: verdict.reason };
}

export function totalMs(report: BootReport): number | undefined {
  const last = [...report.phases].sort((a, b) => a.atMs - b.atMs).at(-1);
  return last?.atMs;
}

export function imageLine(report: BootReport): string {
  const image = report.image;
  const kind = typeof image.kind === 'string' ? image.kind : 'image';
  const paths = Object.entries(image)
    .filter(([key, value]) => key !== 'kind' && typeof value === 'string')
    .map(([key, value]) => (key === kind ? String(value) : `${key} ${String(value)}`));
  return `${kind} ${paths.join(', ')}${image.isDefaultImage === true ? ' (default image)' : ''}`.trim();
}

/** One line per guest NIC: what it is attached to and by which MAC (for reports and the CLI). */
export function nicLines(report: BootReport): string[] {
  return (report.nics ?? []).map((nic) => {
    const where =
      nic.mode === 'user'
        ? 'user-mode networking (10.0.2.0/24)'
        : nic.mode === 'bridge'
          ? `bridge ${nic.bridge}${nic.netns ? ` in netns ${nic.netns}` : ''} through tap ${nic.hostInterface}`
          : `macvtap ${nic.hostInterface} on ${nic.link}${nic.netns ? ` in netns ${nic.netns}` : ''}`;
    return `NIC ${nic.index}: ${where}, MAC ${nic.mac ?? 'QEMU default'}${nic.replaced ? ` (instead of the ${nic.replaced})` : ''}`;
  });
}

/** The furthest phase the guest reached before the harness stopped it. */
export function lastPhaseBeforeStop(report: BootReport): string {
  const reached = [...report.phases].sort((a, b) => a.atMs - b.atMs).filter((mark) => mark.phase !== 'stopped');
  return reached.at(-1)?.phase ?? 'nothing';
}

/** The run's headline: PASSED only when checks ran and all passed; a run without checks says what it proved. */
export function outcomeLabel(report: BootReport): 'PASSED' | 'FAILED' | 'BOOTED' | 'MATCHED' {
  if (report.outcome === 'booted') return 'BOOTED';
  if (report.outcome === 'matched') return 'MATCHED';
  return report.passed ? 'PASSED' : 'FAILED';
}

/** ✓ passed, ○ skipped (not a pass), ✗ failed. */
export function checkMark(check: { passed: boolean; skipped?: string | undefined }): string {
  return check.skipped ? '○' : check.passed ? '✓' : '✗';
}
