// When the serial console says nothing (or not what was awaited), the VGA screen usually does: a boot
// that timed out or went silent is explained by what the screen shows, and the likely cause is named.
import { withinMs } from '../util/deadline.ts';
import { ExpectTimeoutError } from '../console/console-errors.ts';
import { type ConsoleContext, HarnessError, describeContext } from '../errors.ts';
import { type VgaText, describeMethod } from '../qemu/vga-screen.ts';
import { monotonicNowMs } from '../util/clock.ts';

export type SilentBootCause = 'vga-console-only' | 'no-bootable-device' | 'bootloader-on-vga-only';

export interface SilentBootDiagnosis {
  cause: SilentBootCause;
  /** One sentence a person can act on. */
  explanation: string;
  fix: string;
  /** The screen lines that gave it away. */
  evidence: string[];
}

/** Signs of a running kernel or its userspace on a text screen. */
const kernelOnScreen = /Linux version \d|^\[\s*\d+\.\d{6}\] |Run \/\S* as init process|Freeing unused kernel|^\[ {0,2}OK {0,2}\] |Welcome to |login: ?$/m;
const noBootableDevice = /No bootable device|Boot failed: .*|could not read the boot disk|No bootable medium/gi;
const bootloaderMenu = /Press \[Tab\] to edit options|Automatic boot in \d+|GNU GRUB|^boot: ?$|The highlighted entry will be executed/m;

/**
 * Pure: what the VGA screen says about a boot whose serial console did not show what was awaited.
 * `serialSawKernel`: the serial line itself showed the kernel (then the image does use ttyS0).
 */
export function diagnoseSilentBoot(screenText: string, serialSawKernel: boolean): SilentBootDiagnosis | undefined {
  const lines = screenText.split('\n');
  const linesMatching = (pattern: RegExp) => lines.filter((line) => new RegExp(pattern.source, pattern.flags.replace('g', '')).test(line)).map((line) => line.trim());
  const noBoot = linesMatching(noBootableDevice);
  if (noBoot.length > 0 && !kernelOnScreen.test(screenText)) {
    return {
      cause: 'no-bootable-device',
      explanation: 'the firmware found nothing to boot: the VGA screen shows its boot failure',
      fix: 'check that the image is bootable for this firmware (`harness doctor --iso <image>` inspects an ISO\'s El Torito record) and the boot order',
      evidence: noBoot,
    };
  }
  if (!serialSawKernel && kernelOnScreen.test(screenText)) {
    const commandLine = linesMatching(/Command line: /);
    return {
      cause: 'vga-console-only',
      explanation: 'this image prints to the VGA console only: its kernel command line has no console=ttyS0',
      fix: 'add console=ttyS0,115200n8 to the kernel command line in the image\'s bootloader configuration (isolinux.cfg APPEND, grub.cfg linux line); keep console=tty0 before it for the screen',
      evidence: commandLine.length > 0 ? commandLine : linesMatching(kernelOnScreen).slice(-3),
    };
  }
  if (!serialSawKernel && bootloaderMenu.test(screenText)) {
    return {
      cause: 'bootloader-on-vga-only',
      explanation: 'the bootloader is waiting on the VGA screen and does not use the serial line',
      fix: 'turn on the bootloader\'s serial console (isolinux: SERIAL 0 115200; GRUB: serial + terminal_input/terminal_output serial), or drive the menu with QMP send-key',
      evidence: linesMatching(bootloaderMenu),
    };
  }
  return undefined;
}

export interface BootTimeoutDetails {
  /** `prompt-timeout`: the awaited prompt did not come in the budget; `serial-silent`: the serial line printed nothing for too long. */
  kind: 'prompt-timeout' | 'serial-silent';
  /** The error of the wait that ended (for a prompt timeout, the console's ExpectTimeoutError). */
  cause: unknown;
  causeShortMessage: string;
  serialSilentForMs: number;
  serialBytes: number;
  vga: VgaText | undefined;
  /** Why the screen could not be read, when it could not. */
  vgaError: string | undefined;
  screenshotPath: string | undefined;
  diagnosis: SilentBootDiagnosis | undefined;
  context: ConsoleContext;
  tail: readonly string[];
}

/** A boot that did not reach its prompt, explained with what the VGA screen showed. */
export class BootTimeoutError extends HarnessError {
  override readonly name = 'BootTimeoutError';
  readonly kind: BootTimeoutDetails['kind'];
  readonly serialSilentForMs: number;
  readonly serialBytes: number;
  readonly vga: VgaText | undefined;
  readonly screenshotPath: string | undefined;
  readonly diagnosis: SilentBootDiagnosis | undefined;
  readonly phase: string | undefined;
  readonly accel: string | undefined;
  readonly tail: readonly string[];

  constructor(details: BootTimeoutDetails) {
    const silentSeconds = Math.round(details.serialSilentForMs / 1000);
    const head =
      details.kind === 'serial-silent'
        ? `Serial console printed nothing for ${silentSeconds} s while the boot waited for its prompt`
        : details.causeShortMessage;
    const lines: string[] = [];
    if (details.diagnosis) {
      lines.push(`Likely cause: ${details.diagnosis.explanation}.`);
      if (details.diagnosis.evidence.length > 0) lines.push('The screen shows:', ...details.diagnosis.evidence.map((line) => `  > ${line}`));
      lines.push(`Fix: ${details.diagnosis.fix}.`);
    }
    lines.push(
      details.serialBytes === 0 ? 'The serial console printed nothing at all.' : `The serial console printed ${details.serialBytes} bytes, the last ${silentSeconds} s ago.`,
    );
    if (details.vga) {
      lines.push(`VGA screen (${describeMethod(details.vga)}):`, ...details.vga.text.trimEnd().split('\n').map((row) => `  | ${row}`));
    } else {
      lines.push(`VGA screen not read: ${details.vgaError ?? 'unknown reason'}`);
    }
    if (details.screenshotPath) lines.push(`Screenshot: ${details.screenshotPath}`);
    lines.push(describeContext(details.context, details.tail));
    super(details.diagnosis ? `${head}: ${details.diagnosis.explanation}` : head, lines.join('\n'), { cause: details.cause });
    this.kind = details.kind;
    this.serialSilentForMs = details.serialSilentForMs;
    this.serialBytes = details.serialBytes;
    this.vga = details.vga;
    this.screenshotPath = details.screenshotPath;
    this.diagnosis = details.diagnosis;
    this.phase = details.context.phase;
    this.accel = details.context.accel;
    this.tail = details.tail;
  }
}

/** The serial line was silent for longer than the plan allows while the boot waited for its prompt. */
export class SerialSilence extends Error {
  constructor(readonly silentForMs: number) {
    super(`serial console silent for ${Math.round(silentForMs)} ms`);
  }
}

/**
 * Runs the prompt wait under a silence watch (`silenceTimeoutMs` 0: none). A prompt timeout or a silence
 * becomes what `explain` makes of it; anything else passes through.
 */
export async function watchPromptWait(
  waiting: Promise<void>,
  options: {
    silenceTimeoutMs: number;
    lastSerialAtMs: () => number;
    explain: (kind: BootTimeoutDetails['kind'], cause: ExpectTimeoutError | SerialSilence) => Promise<BootTimeoutError>;
  },
): Promise<void> {
  let watch: NodeJS.Timeout | undefined;
  const silence = new Promise<never>((_, reject) => {
    if (options.silenceTimeoutMs <= 0) return;
    watch = setInterval(() => {
      const silentForMs = monotonicNowMs() - options.lastSerialAtMs();
      if (silentForMs >= options.silenceTimeoutMs) reject(new SerialSilence(silentForMs));
    }, 1000);
  });
  // After a silence the prompt wait is abandoned; it ends when the console is disposed at stop.
  waiting.catch(() => undefined);
  try {
    await Promise.race([waiting, silence]);
  } catch (error) {
    if (error instanceof SerialSilence) throw await options.explain('serial-silent', error);
    if (error instanceof ExpectTimeoutError) throw await options.explain('prompt-timeout', error);
    throw error;
  } finally {
    clearInterval(watch);
  }
}

/** Reading the screen must not hang an error path (OCR of a large screen takes seconds). */
const vgaReadBudgetMs = 30_000;

/** Reads the screen (and saves a screenshot) for a boot that did not reach its prompt, and names the likely cause. */
export async function explainBootTimeout(input: {
  kind: BootTimeoutDetails['kind'];
  cause: ExpectTimeoutError | SerialSilence;
  readVga: () => Promise<VgaText>;
  /** Saves a PNG of the screen; resolves to its path. */
  captureScreenshot: () => Promise<string>;
  serialSawKernel: boolean;
  serialSilentForMs: number;
  serialBytes: number;
  context: ConsoleContext;
  tail: readonly string[];
}): Promise<BootTimeoutError> {
  let vga: VgaText | undefined;
  let vgaError: string | undefined;
  try {
    vga = await withinMs(input.readVga(), vgaReadBudgetMs, () => new HarnessError(`reading the VGA screen took longer than ${vgaReadBudgetMs} ms`));
  } catch (error) {
    vgaError = error instanceof Error ? error.message.split('\n')[0] : String(error);
  }
  // No screenshot (QEMU gone, QMP busy): the error then simply names none; the VGA text above is the evidence.
  const screenshotPath = await input.captureScreenshot().catch(() => undefined);
  return new BootTimeoutError({
    kind: input.kind,
    cause: input.cause,
    causeShortMessage: input.cause instanceof ExpectTimeoutError ? input.cause.shortMessage : input.cause.message,
    serialSilentForMs: input.serialSilentForMs,
    serialBytes: input.serialBytes,
    vga,
    vgaError,
    screenshotPath,
    diagnosis: vga ? diagnoseSilentBoot(vga.text, input.serialSawKernel) : undefined,
    context: input.context,
    tail: input.tail,
  });
}

