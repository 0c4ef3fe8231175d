// The boot timeline: which phase a guest reached and when, read from normalised console lines.

export type BootPhase = 'qemu' | 'firmware' | 'bootloader' | 'kernel' | 'userspace' | 'prompt' | 'ssh' | 'checks' | 'stopped';

export interface PhaseMark {
  phase: BootPhase;
  /** Milliseconds since QEMU was started. */
  atMs: number;
  evidence: string;
}

/** Console lines that prove a phase was reached; the first hit of each phase counts. */
const phaseEvidence: readonly { phase: BootPhase; pattern: RegExp }[] = [
  { phase: 'firmware', pattern: /SeaBIOS \(version|iPXE \d|BdsDxe|UEFI/ },
  { phase: 'bootloader', pattern: /ISOLINUX|SYSLINUX|GNU GRUB|Booting `|Loading \/?\S*(vmlinuz|linux)/ },
  { phase: 'kernel', pattern: /Linux version \d/ },
  { phase: 'userspace', pattern: /Run \S+ as init process|systemd\[1\]:|Welcome to |Freeing unused kernel/ },
];

const order: readonly BootPhase[] = ['qemu', 'firmware', 'bootloader', 'kernel', 'userspace', 'prompt', 'ssh', 'checks', 'stopped'];

export class BootTimeline {
  private readonly marks: PhaseMark[] = [];
  private readonly listeners = new Set<(mark: PhaseMark) => void>();

  /** Feeds one normalised console line; records any phase it proves. */
  observeLine(line: string, atMs: number): void {
    for (const { phase, pattern } of phaseEvidence) {
      if (!this.reached(phase) && pattern.test(line)) this.mark(phase, atMs, line.trim().slice(0, 160));
    }
  }

  mark(phase: BootPhase, atMs: number, evidence: string): void {
    if (this.reached(phase)) return;
    const mark = { phase, atMs, evidence };
    this.marks.push(mark);
    for (const listener of this.listeners) listener(mark);
  }

  reached(phase: BootPhase): boolean {
    return this.marks.some((mark) => mark.phase === phase);
  }

  /** The furthest phase reached, by boot order (lines can prove phases out of order, e.g. with no firmware text). */
  get current(): BootPhase {
    let best: BootPhase = 'qemu';
    for (const mark of this.marks) if (order.indexOf(mark.phase) > order.indexOf(best)) best = mark.phase;
    return best;
  }

  get all(): readonly PhaseMark[] {
    return [...this.marks].sort((a, b) => a.atMs - b.atMs);
  }

  onMark(listener: (mark: PhaseMark) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
