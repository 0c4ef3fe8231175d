// The guest's VGA screen as text. In a text mode it is read exactly from video memory over QMP (the
// card's registers through HMP port reads, the cells through `pmemsave`), in milliseconds and without
// OCR; in a graphics mode (GRUB gfxterm, a framebuffer console, vesamenu) the screendump goes through
// tesseract. Every result says which method produced it.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { type ConsoleContext, HarnessError, describeContext } from '../errors.ts';
import { type Clock, monotonicNowMs, sleep } from '../util/clock.ts';
import { Semaphore } from '../util/semaphore.ts';
import { upscalePpm } from './ocr-image.ts';
import type { QmpClient } from './qmp-client.ts';
import { type VgaDisplayMode, type VgaRegisters, decodeVgaMode, decodeVgaText, parsePortRead, vgaTextSpanBytes } from './vga-text-mode.ts';

export type VgaTextMethod = 'vga-memory' | 'ocr';

export interface VgaText {
  /** `vga-memory`: exact, from the text-mode cells; `ocr`: tesseract's reading of a graphics-mode screendump. */
  method: VgaTextMethod;
  /** The screen, one line per row (OCR: per recognised line), trailing blanks trimmed. */
  text: string;
  mode: VgaDisplayMode;
  /** Text mode only: each cell's attribute byte, row by row. */
  attributes?: Uint8Array;
}

export interface VgaScreenOptions {
  /** A folder QEMU may write to (the run dir): `pmemsave` and `screendump` write files there. */
  scratchDir: string;
  clock?: Clock;
  /** The OCR command (default `tesseract`, Debian package tesseract-ocr). */
  tesseractPath?: string;
}

export interface ExpectVgaOptions {
  timeoutMs: number;
  /** Time between two reads (default 250 ms; an OCR read takes longer and sets the pace itself). */
  pollMs?: number;
  signal?: AbortSignal;
  /** Boot phase, accelerator, console tail for the timeout error. */
  describe?: () => { context: ConsoleContext; tail: readonly string[] };
}

export interface VgaMatch {
  matchText: string;
  groups: (string | undefined)[];
  /** Offset of the match in `screen.text`. */
  offset: number;
  screen: VgaText;
}

export class VgaTimeoutError extends HarnessError {
  override readonly name = 'VgaTimeoutError';
  readonly phase: string | undefined;
  readonly accel: string | undefined;
  constructor(
    readonly pattern: string | RegExp,
    readonly elapsedMs: number,
    readonly budgetMs: number,
    /** The last screen read, or undefined when no read succeeded. */
    readonly lastScreen: VgaText | undefined,
    context: ConsoleContext,
    tail: readonly string[],
  ) {
    const shown = lastScreen ? `VGA screen (${describeMethod(lastScreen)}):\n${indent(lastScreen.text)}` : 'The VGA screen could not be read.';
    super(
      `VGA screen pattern ${String(typeof pattern === 'string' ? JSON.stringify(pattern) : pattern)} not seen after ${Math.round(elapsedMs)} ms`,
      [`Elapsed: ${Math.round(elapsedMs)} ms of a ${budgetMs} ms budget`, shown, describeContext(context, tail)].join('\n'),
    );
    this.phase = context.phase;
    this.accel = context.accel;
  }
}

/** A graphics-mode screen with no OCR tool on the host. */
export class OcrUnavailableError extends HarnessError {
  override readonly name = 'OcrUnavailableError';
  constructor(
    readonly tesseractPath: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      `The VGA screen is in a graphics mode (${reason}) and OCR is not available: ${tesseractPath} did not run`,
      'Fix: apt-get install --no-install-recommends tesseract-ocr (scripts/setup installs it).',
      options,
    );
  }
}

export function describeMethod(screen: VgaText): string {
  if (screen.method === 'vga-memory' && screen.mode.kind === 'text') return `text mode ${screen.mode.columns}x${screen.mode.rows}, read from video memory`;
  return `graphics mode (${screen.mode.kind === 'graphics' ? screen.mode.reason : 'unknown'}), read by OCR`;
}

function indent(text: string): string {
  return text.split('\n').map((row) => `  | ${row}`).join('\n');
}

const crtcIndexes = [0x01, 0x07, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x12, 0x13];

export class VgaScreen {
  private readonly clock: Clock;
  private readonly tesseractPath: string;
  private reads = 0;
  // Two reads at once would interleave their writes to the card's index registers.
  private readonly oneReadAtATime = new Semaphore(1);

  constructor(
    private readonly qmp: QmpClient,
    private readonly options: VgaScreenOptions,
  ) {
    this.clock = options.clock ?? monotonicNowMs;
    this.tesseractPath = options.tesseractPath ?? 'tesseract';
  }

  /** The screen now: exact from video memory in a text mode, by OCR in a graphics mode. */
  async read(): Promise<VgaText> {
    const release = await this.oneReadAtATime.acquire();
    try {
      return await this.readNow();
    } finally {
      release();
    }
  }

  private async readNow(): Promise<VgaText> {
    const textMode = await this.paused(async () => {
      const mode = decodeVgaMode(await this.readRegisters());
      if (mode.kind !== 'text') return { mode };
      const file = this.scratchFile('vga-text.bin');
      try {
        await this.qmp.execute('pmemsave', { val: mode.firstCellAddress, size: vgaTextSpanBytes(mode), filename: file });
        return { mode, memory: await readFile(file) };
      } finally {
        await rm(file, { force: true });
      }
    });
    if (textMode.mode.kind === 'text' && textMode.memory) {
      const cells = decodeVgaText(textMode.memory, textMode.mode);
      return { method: 'vga-memory', text: cells.rows.join('\n'), mode: textMode.mode, attributes: cells.attributes };
    }
    return { method: 'ocr', text: await this.ocr(textMode.mode), mode: textMode.mode };
  }

  /**
   * Waits until the screen matches. The screen is a state, like the console's `expectScreen`: nothing is
   * consumed, and a screen that already matches resolves at once.
   */
  async expect(pattern: string | RegExp, options: ExpectVgaOptions): Promise<VgaMatch> {
    const startedAtMs = this.clock();
    const pollMs = options.pollMs ?? 250;
    let last: VgaText | undefined;
    for (;;) {
      options.signal?.throwIfAborted();
      try {
        last = await this.read();
      } catch (error) {
        // Neither a graphics screen without OCR nor a QEMU that is gone gets readable by waiting: say so now.
        if (error instanceof OcrUnavailableError || this.qmp.closed) throw error;
        if (this.clock() - startedAtMs >= options.timeoutMs) throw error;
      }
      const match = last ? matchScreen(pattern, last) : undefined;
      if (match) return match;
      const elapsedMs = this.clock() - startedAtMs;
      if (elapsedMs >= options.timeoutMs) {
        const described = options.describe?.() ?? { context: {}, tail: [] };
        throw new VgaTimeoutError(pattern, elapsedMs, options.timeoutMs, last, described.context, described.tail);
      }
      await sleep(Math.min(pollMs, Math.max(0, options.timeoutMs - elapsedMs)), options.signal);
    }
  }

  // Port reads go through the card's index registers, which the guest uses too: with the guest paused,
  // the harness's index writes and their restoration are invisible to it.
  private async paused<T>(action: () => Promise<T>): Promise<T> {
    const status = await this.qmp.execute<{ running: boolean }>('query-status');
    if (status.running) await this.qmp.execute('stop');
    try {
      return await action();
    } finally {
      if (status.running) await this.qmp.execute('cont');
    }
  }

  private async readRegisters(): Promise<VgaRegisters> {
    const inb = async (port: number) => parsePortRead(await this.qmp.human(`i /b 0x${port.toString(16)}`));
    const outb = (port: number, value: number) => this.qmp.human(`o /b 0x${port.toString(16)} 0x${value.toString(16)}`);
    const miscOutput = await inb(0x3cc);
    if (miscOutput === 0xff) {
      throw new HarnessError('This VM has no VGA card to read (its ports answer 0xff)', 'Fix: boot without `-vga none` / `-nographic` in extraQemuArgs.');
    }
    const crtcPort = miscOutput & 1 ? 0x3d4 : 0x3b4;
    const crtcIndex = await inb(crtcPort);
    const crtc: number[] = [];
    for (const index of crtcIndexes) {
      await outb(crtcPort, index);
      crtc[index] = await inb(crtcPort + 1);
    }
    await outb(crtcPort, crtcIndex);
    const graphicsIndex = await inb(0x3ce);
    await outb(0x3ce, 6);
    const graphicsMisc = await inb(0x3cf);
    await outb(0x3ce, graphicsIndex);
    const vbeIndex = parsePortRead(await this.qmp.human('i /h 0x1ce'));
    await this.qmp.human('o /h 0x1ce 0x4');
    const vbeRaw = parsePortRead(await this.qmp.human('i /h 0x1cf'));
    await this.qmp.human(`o /h 0x1ce 0x${vbeIndex.toString(16)}`);
    // A card without Bochs VBE (cirrus, or none at these ports) reads all ones.
    return { miscOutput, graphicsMisc, vbeEnable: vbeRaw === 0xffff ? 0 : vbeRaw, crtc };
  }

  private async ocr(mode: VgaDisplayMode): Promise<string> {
    const reason = mode.kind === 'graphics' ? mode.reason : 'unknown';
    const ppm = this.scratchFile('vga-ocr.ppm');
    try {
      await this.qmp.execute('screendump', { filename: ppm });
      await writeFile(ppm, upscalePpm(await readFile(ppm)));
      let stdout: string;
      try {
        // --psm 4: one column of text of variable sizes, as on a boot screen; more faithful than the default here.
        ({ stdout } = await execa(this.tesseractPath, [ppm, 'stdout', '--psm', '4'], { timeout: 60_000 }));
      } catch (error) {
        if ((error as { code?: string }).code === 'ENOENT') throw new OcrUnavailableError(this.tesseractPath, reason, { cause: error });
        throw new HarnessError(`OCR of the VGA screen failed: ${this.tesseractPath} ${(error as Error).message}`, undefined, { cause: error });
      }
      return stdout
        .split('\n')
        .map((line) => line.trimEnd())
        .join('\n')
        .replace(/\n{3,}/g, '\n\n')
        .trim();
    } finally {
      await rm(ppm, { force: true });
    }
  }

  private scratchFile(name: string): string {
    return join(this.options.scratchDir, `${String(++this.reads)}-${name}`);
  }
}

export function matchScreen(pattern: string | RegExp, screen: VgaText): VgaMatch | undefined {
  if (typeof pattern === 'string') {
    const offset = screen.text.indexOf(pattern);
    return offset === -1 ? undefined : { matchText: pattern, groups: [], offset, screen };
  }
  const found = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, '')).exec(screen.text);
  return found ? { matchText: found[0], groups: found.slice(1), offset: found.index, screen } : undefined;
}
