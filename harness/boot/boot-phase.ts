// The boot timeline: which phase a guest reached and when, read from normalised console lines.

export type BootPhase =
  | 'qemu'
  /** The guest was reset (vm.reboot()): the phases after it belong to the next boot of the same run. */
  | 'reboot'
  | 'firmware'
  | IpxePhase
  | 'bootloader'
  | 'menu'
  | 'kernel'
  | 'userspace'
  | 'prompt'
  | 'ssh'
  | 'checks'
  | 'stopped';

/** iPXE milestones of a network boot: its banner, DHCP done, the script and then kernel and initrd fetched. */
export type IpxePhase = 'ipxe' | 'ipxe-dhcp' | 'ipxe-script' | 'ipxe-kernel' | 'ipxe-initrd';

export interface PhaseMark {
  phase: BootPhase;
  /** Milliseconds since QEMU was started. */
  atMs: number;
  evidence: string;
  /** Which boot of the run the mark belongs to, from 2 on (after `vm.reboot()`); absent for the first. */
  boot?: number;
}

/** Console lines that prove a phase was reached; the first hit of each phase counts. */
const phaseEvidence: readonly { phase: BootPhase; pattern: RegExp }[] = [
  { phase: 'firmware', pattern: /SeaBIOS \(version|iPXE \d|BdsDxe|UEFI/ },
  { phase: 'bootloader', pattern: /ISOLINUX|SYSLINUX|GNU GRUB|Booting `|Loading \/?\S*(vmlinuz|linux)/ },
  { phase: 'kernel', pattern: /Linux version \d/ },
  { phase: 'userspace', pattern: /Run \S+ as init process|systemd\[1\]:|Welcome to (?!GRUB)|Freeing unused kernel/ },
  // iPXE prints these only when SeaBIOS mirrors the screen on serial (firmwareOnSerial).
  { phase: 'ipxe', pattern: /iPXE \S+ -- Open Source Network Boot Firmware|iPXE initialising devices/ },
  { phase: 'ipxe-dhcp', pattern: /Configuring \(net\d[^)]*\)[. ]*ok/ },
  { phase: 'ipxe-script', pattern: / : \d+ bytes \[script\]/ },
];

/** `<url>... ok`: iPXE finished a download; after the script, the first is the kernel and the next the initrd. */
const ipxeFetched = /^\s*((?:https?|tftp):\/\/\S+?)\.\.\. ok\s*$/;

const order: readonly BootPhase[] = ['qemu', 'reboot', 'firmware', 'ipxe', 'ipxe-dhcp', 'ipxe-script', 'ipxe-kernel', 'ipxe-initrd', 'bootloader', 'menu', 'kernel', 'userspace', 'prompt', 'ssh', 'checks', 'stopped'];

export class BootTimeline {
  private readonly marks: PhaseMark[] = [];
  private boot = 1;
  private readonly listeners = new Set<(mark: PhaseMark) => void>();

  /** Feeds one normalised console line; records any phase it proves. */
  observeLine(line: string, atMs: number): void {
    for (const { phase, pattern } of phaseEvidence) {
      if (!this.reached(phase) && pattern.test(line)) this.mark(phase, atMs, line.trim().slice(0, 160));
    }
    this.observeIpxeFetch(line, atMs);
  }

  // SeaBIOS's mirroring can repeat a line: the initrd must be a different URL from the kernel.
  private observeIpxeFetch(line: string, atMs: number): void {
    if (!this.reached('ipxe-script') || this.reached('ipxe-initrd') || this.reached('kernel')) return;
    const url = ipxeFetched.exec(line)?.[1];
    if (!url) return;
    const kernel = this.currentMarks().find((mark) => mark.phase === 'ipxe-kernel');
    if (!kernel) this.mark('ipxe-kernel', atMs, url);
    else if (kernel.evidence !== url) this.mark('ipxe-initrd', atMs, url);
  }

  mark(phase: BootPhase, atMs: number, evidence: string): void {
    if (this.reached(phase)) return;
    const mark: PhaseMark = this.boot === 1 ? { phase, atMs, evidence } : { phase, atMs, evidence, boot: this.boot };
    this.marks.push(mark);
    for (const listener of this.listeners) listener(mark);
  }

  /** Starts the next boot of the same run (the guest was reset): phases are reached afresh, marked with its number. */
  startNextBoot(atMs: number, evidence: string): void {
    this.boot++;
    this.mark('reboot', atMs, evidence);
  }

  /** 1 for the first boot, 2 after the first `vm.reboot()`, and so on. */
  get bootNumber(): number {
    return this.boot;
  }

  /** Whether the current boot reached `phase`. */
  reached(phase: BootPhase): boolean {
    return this.currentMarks().some((mark) => mark.phase === phase);
  }

  /** The furthest phase the current boot reached, by boot order (lines can prove phases out of order, e.g. with no firmware text). */
  get current(): BootPhase {
    let best: BootPhase = 'qemu';
    for (const mark of this.currentMarks()) if (order.indexOf(mark.phase) > order.indexOf(best)) best = mark.phase;
    return best;
  }

  private currentMarks(): PhaseMark[] {
    return this.boot === 1 ? this.marks : this.marks.filter((mark) => mark.boot === this.boot);
  }

  get all(): readonly PhaseMark[] {
    return [...this.marks].sort((a, b) => a.atMs - b.atMs);
  }

  onMark(listener: (mark: PhaseMark) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
