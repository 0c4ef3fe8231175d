// Pure: the doctor report as one machine-readable object (`harness doctor --json`).
import type { DoctorReport } from './run-doctor.ts';

export function renderDoctorJson(report: DoctorReport): string {
  const document = {
    ok: report.ok,
    startedAt: report.startedAt,
    durationMs: report.durationMs,
    totals: report.totals,
    accelerator: report.accelerator ?? null,
    checks: report.checks.map(({ id, title, status, seen, why, fix, command, durationMs }) => ({
      id,
      title,
      status,
      seen,
      why,
      fix,
      command,
      durationMs,
    })),
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
