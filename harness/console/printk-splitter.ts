// Takes kernel log lines that land in the middle of another line (a prompt, the echo of a command) out of
// the normalised stream and hands them over whole, so `[root@pre-[    2.912345] x\r\nnixos:~]#` reads as
// `[root@pre-nixos:~]#` for matching while the log still gets the kernel line.
import type { NormalizerSink } from './ansi-normalizer.ts';

const enum Mode {
  Normal,
  /** Holding back a `[` and what follows while it could still be a printk timestamp. */
  Hold,
  /** Inside a kernel line, up to its LF. */
  Divert,
}

const enum HoldPhase {
  Spaces,
  Seconds,
  Micros,
}

/**
 * A kernel timestamp is `[%5lu.%06lu]`. A printk line at the start of a line is left alone (it is a whole
 * line already, and callers wait for kernel messages such as `Linux version`); only one that starts after
 * other text on the same line is diverted.
 */
export class PrintkSplitter implements NormalizerSink {
  private mode = Mode.Normal;
  private lineHasText = false;
  private phase = HoldPhase.Spaces;
  private microDigits = 0;
  private heldText = '';
  private heldRawEnds: number[] = [];
  private printkLine = '';
  private printkRawEnd = 0;

  constructor(
    private readonly normal: NormalizerSink,
    private readonly onPrintkLine: (line: string, rawEnd: number) => void,
  ) {}

  text(text: string, rawEnd0: number, step: 0 | 1): void {
    let i = 0;
    const n = text.length;
    while (i < n) {
      if (this.mode === Mode.Normal) {
        const from = this.lineHasText ? i : i + 1;
        this.lineHasText = true;
        const k = text.indexOf('[', from);
        if (k === -1) {
          this.emit(text, i, n, rawEnd0, step);
          return;
        }
        this.emit(text, i, k, rawEnd0, step);
        this.mode = Mode.Hold;
        this.phase = HoldPhase.Spaces;
        this.microDigits = 0;
        this.heldText = '[';
        this.heldRawEnds = [rawEnd0 + k * step];
        i = k + 1;
      } else if (this.mode === Mode.Hold) {
        const c = text.charCodeAt(i);
        if (this.advanceHold(c)) {
          this.heldText += text[i];
          this.heldRawEnds.push(rawEnd0 + i * step);
          i++;
          if ((this.mode as Mode) === Mode.Divert) {
            this.printkLine = this.heldText;
            this.heldText = '';
            this.heldRawEnds = [];
          }
        } else {
          this.release();
        }
      } else {
        this.printkLine += i === 0 ? text : text.slice(i);
        this.printkRawEnd = rawEnd0 + (n - 1) * step;
        return;
      }
    }
  }

  control(code: number, rawEnd: number): void {
    if (this.mode === Mode.Hold) this.release();
    if (this.mode === Mode.Divert) {
      // The kernel ends its lines with \r\n (\r\r\n through a pty); only the LF closes the line.
      if (code === 0x0a) {
        this.mode = Mode.Normal;
        this.onPrintkLine(this.printkLine, rawEnd);
        this.printkLine = '';
      }
      return;
    }
    if (code === 0x0a || code === 0x0d) this.lineHasText = false;
    this.normal.control(code, rawEnd);
  }

  /** End of stream: what is held goes through; an unfinished kernel line is still a line. */
  end(): void {
    if (this.mode === Mode.Hold) this.release();
    if (this.mode === Mode.Divert) {
      this.mode = Mode.Normal;
      this.onPrintkLine(this.printkLine, this.printkRawEnd);
      this.printkLine = '';
    }
  }

  private emit(text: string, from: number, to: number, rawEnd0: number, step: 0 | 1): void {
    if (to <= from) return;
    this.normal.text(from === 0 && to === text.length ? text : text.slice(from, to), rawEnd0 + from * step, step);
  }

  /** Returns whether `c` continues a printk timestamp; switches to Divert on the closing `]`. */
  private advanceHold(c: number): boolean {
    const digit = c >= 0x30 && c <= 0x39;
    switch (this.phase) {
      case HoldPhase.Spaces:
        if (c === 0x20) return true;
        if (digit) {
          this.phase = HoldPhase.Seconds;
          return true;
        }
        return false;
      case HoldPhase.Seconds:
        if (digit) return true;
        if (c === 0x2e) {
          this.phase = HoldPhase.Micros;
          return true;
        }
        return false;
      case HoldPhase.Micros:
        if (digit && this.microDigits < 6) {
          this.microDigits++;
          return true;
        }
        if (c === 0x5d && this.microDigits === 6) {
          this.mode = Mode.Divert;
          return true;
        }
        return false;
    }
  }

  private release(): void {
    this.mode = Mode.Normal;
    const text = this.heldText;
    const rawEnds = this.heldRawEnds;
    this.heldText = '';
    this.heldRawEnds = [];
    // Held characters are ASCII; hand them on one by one with their own offsets (rare path). The first is
    // the `[` and cannot start a new hold; a later `[` can, so re-run them through text().
    this.normal.text(text[0]!, rawEnds[0]!, 0);
    for (let i = 1; i < text.length; i++) this.text(text[i]!, rawEnds[i]!, 0);
  }
}
