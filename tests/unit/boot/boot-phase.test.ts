import { describe, expect, it } from 'vitest';
import { BootTimeline } from '../../../harness/boot/boot-phase.ts';

describe('BootTimeline across a reboot', () => {
  it('phases are reached afresh in the next boot, marked with its number; the first boot keeps its marks', () => {
    const timeline = new BootTimeline();
    timeline.mark('qemu', 0, 'qemu');
    timeline.observeLine('[    0.000000] Linux version 6.1.0 (x)', 1000);
    timeline.mark('prompt', 5000, 'harness prompt installed');
    expect(timeline.current).toBe('prompt');
    timeline.startNextBoot(6000, 'system_reset');
    expect([timeline.bootNumber, timeline.current, timeline.reached('kernel')]).toEqual([2, 'reboot', false]);
    timeline.observeLine('[    0.000000] Linux version 6.1.0 (x)', 7000);
    timeline.mark('prompt', 9000, 'harness prompt installed');
    expect(timeline.all.map((mark) => [mark.phase, mark.boot ?? 1])).toEqual([
      ['qemu', 1],
      ['kernel', 1],
      ['prompt', 1],
      ['reboot', 2],
      ['kernel', 2],
      ['prompt', 2],
    ]);
    expect(timeline.current).toBe('prompt');
  });
});
