// Progress of `harness boot`: phase lines as they come and, on a terminal, one live status line under
// them (phase, elapsed, budget) redrawn in place; off a terminal, in CI or on TERM=dumb only the lines.
import type { BootPhase, PhaseMark } from '../boot/boot-phase.ts';
import type { Clock } from '../util/clock.ts';
import { formatPhase } from './boot-output.ts';
import type { CliIO } from './cli-io.ts';
import { runningInCi } from './environment-help.ts';

/** Calls `tick` every `intervalMs` until the returned function is called. */
export type Ticker = (intervalMs: number, tick: () => void) => () => void;

export const intervalTicker: Ticker = (intervalMs, tick) => {
  const timer = setInterval(tick, intervalMs);
  // The boot itself keeps the process alive; a status line must not.
  timer.unref();
  return () => clearInterval(timer);
};

export interface ProgressLineOptions {
  write: (text: string) => void;
  /** Draw the live status line (see liveProgressWanted). */
  live: boolean;
  colour: boolean;
  /** Terminal width: the status line is cut to fit, since a wrapped line cannot be redrawn with `\r`. */
  columns?: number | undefined;
  /** Budget for the guest to reach its prompt. */
  promptBudgetMs: number;
  clock: Clock;
  ticker?: Ticker;
  /** Redraw interval (default 250 ms). */
  intervalMs?: number;
}

/** Carriage return and erase line: the cursor goes back over the status line and clears it. */
export const eraseLine = '\r\x1b[2K';
const spinner = ['-', '\\', '|', '/'];

/** A terminal, not in CI, not TERM=dumb, and not printing JSON (where progress goes to stderr as plain lines). */
export function liveProgressWanted(io: CliIO, json: boolean): boolean {
  return !json && io.isTTY && !runningInCi(io.env) && io.env.TERM !== 'dumb';
}

export function colourWanted(io: CliIO): boolean {
  return io.isTTY && !io.env.NO_COLOR;
}

export class ProgressLine {
  private phase: BootPhase | 'starting' = 'starting';
  private startedAtMs = 0;
  private promptAtMs: number | undefined;
  private stopTicker: (() => void) | undefined;
  private drawn = false;
  private running = false;
  private frame = 0;

  constructor(private readonly options: ProgressLineOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.startedAtMs = this.options.clock();
    if (!this.options.live) return;
    this.draw();
    this.stopTicker = (this.options.ticker ?? intervalTicker)(this.options.intervalMs ?? 250, () => {
      this.frame++;
      this.draw();
    });
  }

  /** Prints whole lines above the status line (text should end in a newline). */
  print(text: string): void {
    if (this.drawn) this.erase();
    this.options.write(text);
    if (this.running && this.options.live) this.draw();
  }

  phaseReached(mark: PhaseMark): void {
    this.phase = mark.phase;
    if (mark.phase === 'prompt' && this.promptAtMs === undefined) this.promptAtMs = this.elapsedMs();
    this.print(formatPhase(mark));
  }

  /** Removes the status line and stops redrawing; what was printed stays. Idempotent. */
  stop(): void {
    this.stopTicker?.();
    this.stopTicker = undefined;
    this.running = false;
    if (this.drawn) this.erase();
  }

  /** The status line as drawn now, without colour or cursor control. */
  statusText(): string {
    const elapsed = `${seconds(this.elapsedMs())} elapsed`;
    const budget =
      this.promptAtMs === undefined ? `prompt budget ${seconds(this.options.promptBudgetMs, 0)}` : `prompt reached at ${seconds(this.promptAtMs)}`;
    return `${spinner[this.frame % spinner.length]} ${this.phase} · ${elapsed} · ${budget}`;
  }

  private elapsedMs(): number {
    return Math.max(0, this.options.clock() - this.startedAtMs);
  }

  private draw(): void {
    const columns = this.options.columns;
    let text = this.statusText();
    // One column spare: writing into the last column makes some terminals wrap.
    if (columns !== undefined && columns > 1 && text.length > columns - 1) text = text.slice(0, columns - 1);
    this.options.write(`${this.drawn ? eraseLine : ''}${this.paint(text)}`);
    this.drawn = true;
  }

  private paint(text: string): string {
    if (!this.options.colour) return text;
    const late = this.promptAtMs === undefined && this.elapsedMs() > 0.8 * this.options.promptBudgetMs;
    // Dim the line; yellow once the prompt budget is 80 % spent.
    return late ? `\x1b[33m${text}\x1b[0m` : `\x1b[2m${text}\x1b[0m`;
  }

  private erase(): void {
    this.options.write(eraseLine);
    this.drawn = false;
  }
}

function seconds(ms: number, digits = 1): string {
  return `${(ms / 1000).toFixed(digits)} s`;
}
