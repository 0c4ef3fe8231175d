// How much every budget of a run is stretched: a factor the user gives, or (auto) the measured slowness
// of this host's TCG against a reference, so a slow runner is not failed for being slow. Pure.
import { UsageError } from '../errors.ts';
import type { Accelerator } from '../qemu/accelerator-probe.ts';
import type { MeasuredEarlier } from '../qemu/tcg-speed-probe.ts';

export type TimeoutScaleRequest = number | 'auto';

export interface TimeoutScale {
  /** Every budget of the run is multiplied by this. */
  factor: number;
  requested: TimeoutScaleRequest;
  /** Where the request came from: the API option, `--timeout-scale`, `HARNESS_TIMEOUT_SCALE` or the default. */
  source: string;
  /** One line a person reads: why this factor. */
  reason: string;
  /** Auto under TCG: how long the reference kernel took to print `Linux version` under TCG here. */
  measuredMs?: number;
  /** Auto under TCG: how long it takes on a quiet 2-core machine (the factor is measured / reference). */
  referenceMs?: number;
  /** Auto under TCG, when the figure was measured before this boot: how long before, and by whom. */
  measuredEarlier?: MeasuredEarlier;
}

/**
 * The default image's kernel prints `Linux version` after 0.9–1.3 s under TCG on a quiet 2-core machine
 * (FACTS.md); the middle of that is the reference a healthy host matches.
 */
export const tcgReferenceBannerMs = 1_100;
/** Beyond this the host is not slow but broken; a budget stretched further would only hide a hang. */
export const maxAutoFactor = 8;
export const maxTimeoutScale = 100;

export function parseTimeoutScale(value: unknown, input: string): TimeoutScaleRequest {
  if (typeof value === 'string') {
    const text = value.trim().toLowerCase();
    if (text === 'auto' || text === '') return 'auto';
    if (/^\d+(\.\d+)?$/.test(text)) return checkFactor(Number(text), input, value);
  } else if (typeof value === 'number') {
    return checkFactor(value, input, value);
  }
  throw new UsageError(input, `expected \`auto\` or a number from 0.1 to ${maxTimeoutScale}, got \`${String(value)}\` (${typeof value})`, `pass e.g. ${input} 2 (every budget doubled) or ${input} auto`);
}

function checkFactor(factor: number, input: string, given: unknown): number {
  if (!Number.isFinite(factor) || factor < 0.1 || factor > maxTimeoutScale) {
    throw new UsageError(input, `expected a factor from 0.1 to ${maxTimeoutScale}, got \`${String(given)}\``, `pass e.g. ${input} 2 (every budget doubled) or ${input} auto`);
  }
  return factor;
}

/** A fixed factor, as given. */
export function fixedTimeoutScale(factor: number, source: string): TimeoutScale {
  return { factor, requested: factor, source, reason: `×${factor} as set by ${source}` };
}

/**
 * Auto: KVM runs at host speed, so budgets stay as they are; under TCG the factor is how much slower than
 * the reference this host printed the reference kernel's banner, never below 1 and at most maxAutoFactor.
 */
export function autoTimeoutScale(accel: Accelerator, source: string, measurement: TcgSpeedMeasurement | undefined): TimeoutScale {
  const base = { requested: 'auto' as const, source };
  if (accel === 'kvm') return { ...base, factor: 1, reason: 'auto: KVM runs at host speed, budgets unscaled' };
  if (!measurement || measurement.bannerMs === undefined) {
    return { ...base, factor: 1, reason: `auto: TCG speed not measured (${measurement?.problem ?? 'no reference kernel'}), budgets unscaled` };
  }
  const raw = measurement.bannerMs / measurement.referenceMs;
  const factor = Math.min(maxAutoFactor, Math.max(1, Math.round(raw * 10) / 10));
  const capped = raw > maxAutoFactor ? ` (capped at ×${maxAutoFactor})` : '';
  const scale: TimeoutScale = {
    ...base,
    factor,
    measuredMs: Math.round(measurement.bannerMs),
    referenceMs: measurement.referenceMs,
    reason: `auto: TCG printed "Linux version" after ${Math.round(measurement.bannerMs)} ms against a reference of ${measurement.referenceMs} ms: ×${factor}${capped}`,
  };
  if (measurement.earlier) {
    scale.measuredEarlier = measurement.earlier;
    scale.reason += `; ${measuredEarlierText(measurement.earlier)}`;
  }
  return scale;
}

/** `measured 42 s ago by another harness process`: a figure reused, not measured for this boot. */
function measuredEarlierText(earlier: MeasuredEarlier): string {
  const who = earlier.by === 'this process' ? 'an earlier boot of this process' : 'another harness process (kept in the cache dir)';
  return `measured ${Math.round(earlier.ageMs / 1000)} s ago by ${who}`;
}

export interface TcgSpeedMeasurement {
  /** undefined when the measurement failed; `problem` says why. */
  bannerMs: number | undefined;
  referenceMs: number;
  problem?: string;
  /** Set when the figure was measured before this boot (and reused). */
  earlier?: MeasuredEarlier;
}

// The arithmetic lives in util/ so checks (below boot) stretch their budgets by the same rule.
export { scaledMs } from '../util/deadline.ts';

/** One line for reports and the CLI summary. */
export function timeoutScaleLine(scale: TimeoutScale): string {
  return `×${scale.factor} (${scale.reason})`;
}
