// The run's timeout scale, once the accelerator is known: the given factor, or auto (TCG measured here).
import type { AcceleratorVerdict } from '../qemu/accelerator-probe.ts';
import { measureTcgSpeed } from '../qemu/tcg-speed-probe.ts';
import type { BootPlan } from './boot-options.ts';
import { autoTimeoutScale, fixedTimeoutScale, tcgReferenceBannerMs, type TimeoutScale } from './timeout-scale.ts';

export async function resolveTimeoutScale(plan: Pick<BootPlan, 'timeoutScale' | 'referenceKernel' | 'qemuBinary' | 'cacheDir'>, verdict: AcceleratorVerdict): Promise<TimeoutScale> {
  const { requested, source } = plan.timeoutScale;
  if (requested !== 'auto') return fixedTimeoutScale(requested, source);
  if (verdict.accel === 'kvm' || !plan.referenceKernel) return autoTimeoutScale(verdict.accel, source, undefined);
  const speed = await measureTcgSpeed({ qemuBinary: plan.qemuBinary, kernelPath: plan.referenceKernel, cache: { cacheDir: plan.cacheDir } });
  return autoTimeoutScale(verdict.accel, source, { ...speed, referenceMs: tcgReferenceBannerMs });
}
