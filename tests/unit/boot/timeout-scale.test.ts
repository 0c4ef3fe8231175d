// The timeout scale: parsed at the boundary, auto from TCG's measured speed, shown in every report.
import { mkdtemp, readFile, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { autoTimeoutScale, fixedTimeoutScale, maxAutoFactor, parseTimeoutScale, scaledMs, tcgReferenceBannerMs } from '../../../harness/boot/timeout-scale.ts';
import { forgetTcgSpeeds, measureTcgSpeed, tcgSpeedCacheFile, tcgSpeedProbeArgs } from '../../../harness/qemu/tcg-speed-probe.ts';
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
    expect(await measureTcgSpeed({ qemuBinary: 'qemu', kernelPath, run })).toEqual({ bannerMs: 2345, earlier: { ageMs: expect.any(Number), by: 'this process' } });
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

describe('measureTcgSpeed across processes', () => {
  const result = (overrides: Partial<GuestRunResult>): GuestRunResult => ({ matched: false, elapsedMs: 0, exitCode: null, signal: null, stderrTail: '', ...overrides });
  let dir: string;
  let cacheDir: string;
  let qemuBinary: string;
  let kernelPath: string;
  let nowMs: number;
  let runs: number;
  let outcome: GuestRunResult;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tcg-speed-'));
    cacheDir = join(dir, 'cache');
    qemuBinary = join(dir, 'qemu-system-x86_64');
    kernelPath = join(dir, 'vmlinuz');
    await writeFile(qemuBinary, 'qemu');
    await writeFile(kernelPath, 'kernel');
    nowMs = Date.parse('2026-12-03T12:00:00Z');
    runs = 0;
    outcome = result({ matched: true, elapsedMs: 1234 });
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const run = async () => ((runs += 1), outcome);
  /** A new process: nothing in memory, the cache dir as the last one left it, the wall clock at `nowMs`. */
  const measureInNewProcess = () => {
    forgetTcgSpeeds();
    return measureTcgSpeed({ qemuBinary, kernelPath, run, cache: { cacheDir, wallNowMs: () => nowMs } });
  };

  it('a new process within five minutes reuses the figure, and says how old it is', async () => {
    expect(await measureInNewProcess()).toEqual({ bannerMs: 1234 });
    nowMs += 42_000;
    expect(await measureInNewProcess()).toEqual({ bannerMs: 1234, earlier: { ageMs: 42_000, by: 'another process' } });
    expect(runs).toBe(1);
    const stored = JSON.parse(await readFile(join(cacheDir, tcgSpeedCacheFile), 'utf8'));
    expect(stored).toMatchObject({ version: 1, inputs: { qemu: { path: qemuBinary }, kernel: { path: kernelPath } }, bannerMs: 1234, measuredAtMs: nowMs - 42_000 });
  });

  it('the figure a new process read stays in its memory, still saying how old it is', async () => {
    await measureInNewProcess();
    nowMs += 60_000;
    await measureInNewProcess();
    const again = await measureTcgSpeed({ qemuBinary, kernelPath, run, cache: { cacheDir, wallNowMs: () => nowMs } });
    expect(again.earlier).toMatchObject({ by: 'another process', ageMs: expect.toSatisfy((ageMs: number) => ageMs >= 60_000) });
    expect(runs).toBe(1);
  });

  it.each<[string, number]>([
    ['five minutes have passed (wall clock)', 300_000],
    ['the wall clock was set back', -1_000],
  ])('measures again when %s', async (_what, laterMs) => {
    await measureInNewProcess();
    nowMs += laterMs;
    expect(await measureInNewProcess()).toEqual({ bannerMs: 1234 });
    expect(runs).toBe(2);
  });

  it.each<[string, () => Promise<unknown>]>([
    ['the reference kernel changes size', () => writeFile(kernelPath, 'another kernel')],
    ['the reference kernel changes mtime', () => utimes(kernelPath, 1_000, 1_000)],
    ['the QEMU binary is replaced (another inode)', () => writeFile(`${qemuBinary}.new`, 'qemu').then(() => rename(`${qemuBinary}.new`, qemuBinary))],
    ['the QEMU binary changes mtime', () => utimes(qemuBinary, 1_000, 1_000)],
    ['the record is corrupt', () => writeFile(join(cacheDir, tcgSpeedCacheFile), '{"version": 1, "inp')],
    ['the record is of another version', async () => writeFile(join(cacheDir, tcgSpeedCacheFile), (await readFile(join(cacheDir, tcgSpeedCacheFile), 'utf8')).replace('"version": 1', '"version": 2'))],
  ])('measures again when %s', async (_what, change) => {
    await measureInNewProcess();
    await change();
    await measureInNewProcess();
    expect(runs).toBe(2);
  });

  it.each<[string, Partial<GuestRunResult>]>([
    ['QEMU exits before the banner', { exitCode: 1 }],
    ['the banner never comes (timeout)', { signal: 'SIGKILL' }],
    ['QEMU cannot start', { spawnError: 'ENOENT' }],
  ])('stores nothing when %s', async (_what, overrides) => {
    outcome = result(overrides);
    await measureInNewProcess();
    await measureInNewProcess();
    expect(runs).toBe(2);
    await expect(readFile(join(cacheDir, tcgSpeedCacheFile))).rejects.toThrow();
  });

  it('fresh measures again whatever the cache dir holds', async () => {
    await measureInNewProcess();
    forgetTcgSpeeds();
    await measureTcgSpeed({ qemuBinary, kernelPath, run, fresh: true, cache: { cacheDir, wallNowMs: () => nowMs } });
    expect(runs).toBe(2);
  });

  it('an unwritable cache dir costs a measurement per process, never the boot', async () => {
    await writeFile(cacheDir, 'a file where the cache dir should be');
    expect(await measureInNewProcess()).toEqual({ bannerMs: 1234 });
    expect(await measureInNewProcess()).toEqual({ bannerMs: 1234 });
    expect(runs).toBe(2);
  });

  it('the report says when the figure was measured earlier, and by whom', () => {
    const reused = autoTimeoutScale('tcg', 'default', { bannerMs: 2640, referenceMs: 1100, earlier: { ageMs: 42_400, by: 'another process' } });
    expect(reused).toMatchObject({ factor: 2.4, measuredMs: 2640, measuredEarlier: { ageMs: 42_400, by: 'another process' } });
    expect(reused.reason).toBe('auto: TCG printed "Linux version" after 2640 ms against a reference of 1100 ms: ×2.4; measured 42 s ago by another harness process (kept in the cache dir)');
    const inProcess = autoTimeoutScale('tcg', 'default', { bannerMs: 2640, referenceMs: 1100, earlier: { ageMs: 5_000, by: 'this process' } });
    expect(inProcess.reason).toMatch(/; measured 5 s ago by an earlier boot of this process$/);
    expect(autoTimeoutScale('tcg', 'default', { bannerMs: 2640, referenceMs: 1100 })).not.toHaveProperty('measuredEarlier');
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
