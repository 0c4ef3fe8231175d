// The timeout scale: parsed at the boundary, auto from TCG's measured speed, shown in every report.
import { describe, expect, it } from 'vitest';
import { autoTimeoutScale, fixedTimeoutScale, maxAutoFactor, parseTimeoutScale, scaledMs, tcgReferenceBannerMs } from '../../../harness/boot/timeout-scale.ts';
import { measureTcgSpeed, tcgSpeedProbeArgs } from '../../../harness/qemu/tcg-speed-probe.ts';
import type { GuestRunResult } from '../../../harness/qemu/accelerator-probe.ts';
import { UsageError } from '../../../harness/errors.ts';
import { renderReportMarkdown } from '../../../harness/report/report-markdown.ts';
import { renderReportHtml } from '../../../harness/report/report-html.ts';
import type { BootReport } from '../../../harness/boot/boot-report.ts';

describe('parseTimeoutScale', () => {
  it.each([
    ['auto', 'auto'],
    [' AUTO ', 'auto'],
    ['', 'auto'],
    ['2', 2],
    ['1.5', 1.5],
    [3, 3],
  ] as const)('%j → %j', (given, wanted) => {
    expect(parseTimeoutScale(given, '--timeout-scale')).toBe(wanted);
  });

  it.each([['fast'], ['-1'], ['0'], ['1e3'], [0], [1000], [Number.NaN], [true]])('refuses %j, naming the input', (given) => {
    expect(() => parseTimeoutScale(given, 'HARNESS_TIMEOUT_SCALE')).toThrow(UsageError);
    expect(() => parseTimeoutScale(given, 'HARNESS_TIMEOUT_SCALE')).toThrow(/^HARNESS_TIMEOUT_SCALE: expected/);
  });
});

describe('autoTimeoutScale', () => {
  const measured = (bannerMs: number | undefined, problem?: string) => ({ bannerMs, referenceMs: 1000, ...(problem ? { problem } : {}) });

  it('KVM: budgets unscaled, without measuring', () => {
    expect(autoTimeoutScale('kvm', 'default', undefined)).toMatchObject({ factor: 1, requested: 'auto', reason: expect.stringMatching(/KVM/) });
  });

  it('TCG as fast as the reference or faster: never shrinks a budget', () => {
    expect(autoTimeoutScale('tcg', 'default', measured(600)).factor).toBe(1);
  });

  it('TCG four times slower than the reference: budgets ×4, with both figures recorded', () => {
    const scale = autoTimeoutScale('tcg', 'default', measured(4000));
    expect(scale).toMatchObject({ factor: 4, measuredMs: 4000, referenceMs: 1000 });
    expect(scale.reason).toMatch(/TCG printed "Linux version" after 4000 ms against a reference of 1000 ms: ×4/);
  });

  it('a host beyond broken-slow is capped, and says so', () => {
    const scale = autoTimeoutScale('tcg', 'default', measured(60_000));
    expect(scale.factor).toBe(maxAutoFactor);
    expect(scale.reason).toMatch(/capped/);
  });

  it('no measurement: unscaled, and the reason says why', () => {
    expect(autoTimeoutScale('tcg', 'default', measured(undefined, 'QEMU exited with code 1'))).toMatchObject({ factor: 1, reason: expect.stringMatching(/not measured \(QEMU exited with code 1\)/) });
  });

  it('scaledMs multiplies and rounds', () => {
    expect(scaledMs(240_000, { factor: 2.5 })).toBe(600_000);
    expect(scaledMs(1000, fixedTimeoutScale(0.5, 'timeoutScale'))).toBe(500);
  });
});

describe('measureTcgSpeed', () => {
  const result = (overrides: Partial<GuestRunResult>): GuestRunResult => ({ matched: false, elapsedMs: 0, exitCode: null, signal: null, stderrTail: '', ...overrides });

  it('times the reference kernel under TCG, and remembers the figure for the next boot', async () => {
    const calls: string[][] = [];
    const run = async (_binary: string, args: readonly string[]) => {
      calls.push([...args]);
      return result({ matched: true, elapsedMs: 2345 });
    };
    const kernelPath = `/k-${Math.random()}`;
    expect(await measureTcgSpeed({ qemuBinary: 'qemu', kernelPath, run })).toEqual({ bannerMs: 2345 });
    expect(await measureTcgSpeed({ qemuBinary: 'qemu', kernelPath, run })).toEqual({ bannerMs: 2345 });
    expect(calls).toEqual([tcgSpeedProbeArgs(kernelPath)]);
    expect(calls[0]).toEqual(expect.arrayContaining(['-accel', 'tcg', '-kernel', kernelPath]));
  });

  it('a guest still silent at the deadline counts as at least that slow; one that exits is unknown', async () => {
    const silent = await measureTcgSpeed({ qemuBinary: 'qemu', kernelPath: `/k-${Math.random()}`, timeoutMs: 5000, run: async () => result({ signal: 'SIGKILL' }) });
    expect(silent.bannerMs).toBe(5000);
    const exited = await measureTcgSpeed({ qemuBinary: 'qemu', kernelPath: `/k-${Math.random()}`, run: async () => result({ exitCode: 1 }) });
    expect(exited).toEqual({ bannerMs: undefined, problem: expect.stringMatching(/exited with code 1/) });
  });

  it('the reference is the quiet-machine figure from FACTS.md (0.9–1.3 s)', () => {
    expect(tcgReferenceBannerMs).toBeGreaterThanOrEqual(900);
    expect(tcgReferenceBannerMs).toBeLessThanOrEqual(1300);
  });
});

describe('reports show the scale and why', () => {
  const report = {
    name: 'scaled',
    startedAt: '2026-12-02T00:00:00.000Z',
    image: { kind: 'iso', iso: '/x.iso' },
    accelerator: { accel: 'tcg', requested: 'auto', kvmUsable: false, reason: 'KVM unusable', fromCache: true },
    timeoutScale: autoTimeoutScale('tcg', 'default', { bannerMs: 3300, referenceMs: 1100 }),
    keyInjection: 'smbios',
    phases: [],
    qemu: { argv: [], pid: undefined },
    sshPort: undefined,
    checks: [],
    passed: true,
    logs: { dir: '/l', consoleRaw: '', consoleText: '', qemuStderr: '', qemuArgv: '', report: '' },
  } satisfies BootReport;

  it('Markdown and HTML', () => {
    expect(renderReportMarkdown({ report })).toMatch(/- Budgets: ×3 \(auto: TCG printed "Linux version" after 3300 ms against a reference of 1100 ms: ×3\)/);
    expect(renderReportHtml({ report })).toMatch(/Budgets[\s\S]*×3[\s\S]*after 3300 ms against a reference of 1100 ms/);
  });
});
