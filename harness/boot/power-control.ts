// Acting on the machine rather than typing into it: a reset (guest-initiated or QMP system_reset) the run
// survives, an ACPI power-off with a budget, a crash (QEMU stops at once, as on power loss), and the
// boot order of the next reset.
import { type ConsoleContext, HarnessError, describeContext } from '../errors.ts';
import type { QemuProcess } from '../qemu/qemu-process.ts';

export type RebootTrigger =
  /** QMP `system_reset`: the reset button, no shutdown inside the guest. */
  | { kind: 'reset' }
  /** The guest reboots itself: `send` types its reboot command (e.g. `reboot`) on the console. */
  | { kind: 'guest'; send: () => void };

/** SeaBIOS boot order letters: `c` first hard disk, `d` CD-ROM, `n` network; e.g. `cd`. */
export type BootOrder = string;

export class PowerControlTimeoutError extends HarnessError {
  override readonly name = 'PowerControlTimeoutError';
  readonly phase: string | undefined;
  readonly accel: string | undefined;
  constructor(
    /** What was awaited: `reset` or `power-off`. */
    readonly awaited: 'reset' | 'power-off',
    readonly timeoutMs: number,
    readonly tail: readonly string[],
    context: ConsoleContext,
  ) {
    const what = awaited === 'reset' ? 'Guest reset (QMP RESET event)' : 'Guest power-off (QEMU exit after ACPI system_powerdown)';
    const hint =
      awaited === 'power-off'
        ? 'The guest did not act on the ACPI power button: it needs an ACPI daemon (acpid, systemd-logind) handling it. vm.crash() stops it at once.'
        : 'The guest did not reboot: its reboot command failed or it is hung.';
    super(`${what} not seen after ${timeoutMs} ms`, `${hint}\n${describeContext(context, tail)}`);
    this.phase = context.phase;
    this.accel = context.accel;
  }
}

function validateBootOrder(order: BootOrder): string {
  if (!/^[a-dn-p]{1,8}$/.test(order)) {
    throw new HarnessError(`Boot order \`${order}\` is not one QEMU knows`, 'Fix: use drive letters: c (first hard disk), d (CD-ROM), n (network), e.g. `c` or `cd`.');
  }
  return order;
}

/**
 * Resets the guest and resolves once QEMU reports the reset. The harness starts QEMU with `-no-reboot`
 * (a guest that reboots on its own, after a panic say, ends the run), so the reset action is switched to
 * `reset` for this reboot; the returned function switches it back. Not at once: a rebooting Linux asks for
 * a reset several ways in a row (ACPI reset register, then the keyboard controller), and a second request
 * handled after the first would end the run; call it once the next boot is seen running.
 */
export async function resetGuest(
  qemu: QemuProcess,
  trigger: RebootTrigger,
  options: { timeoutMs: number; bootOrder?: BootOrder | undefined; describe: () => { context: ConsoleContext; tail: readonly string[] } },
): Promise<() => Promise<void>> {
  if (options.bootOrder !== undefined) await qemu.qmp.human(`boot_set ${validateBootOrder(options.bootOrder)}`);
  await qemu.qmp.execute('set-action', { reboot: 'reset' });
  let unsubscribe = (): void => undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const reset = new Promise<void>((resolve, reject) => {
      unsubscribe = qemu.qmp.onEvent((event) => {
        if (event.event === 'RESET') resolve();
      });
      timer = setTimeout(() => {
        const { context, tail } = options.describe();
        reject(new PowerControlTimeoutError('reset', options.timeoutMs, tail, context));
      }, options.timeoutMs);
    });
    if (trigger.kind === 'reset') await qemu.qmp.execute('system_reset');
    else trigger.send();
    await reset;
  } catch (error) {
    await restoreNoReboot(qemu);
    throw error;
  } finally {
    unsubscribe();
    clearTimeout(timer);
  }
  return () => restoreNoReboot(qemu);
}

async function restoreNoReboot(qemu: QemuProcess): Promise<void> {
  // QEMU quitting between the check and the command leaves nothing to restore.
  if (!qemu.hasExited) await qemu.qmp.execute('set-action', { reboot: 'shutdown' }).catch(() => undefined);
}

/** ACPI power button, then waits for QEMU to exit (the guest shut itself down) within the budget. */
export async function powerOffGuest(qemu: QemuProcess, options: { timeoutMs: number; describe: () => { context: ConsoleContext; tail: readonly string[] } }): Promise<void> {
  if (qemu.hasExited) return;
  await qemu.qmp.execute('system_powerdown');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), options.timeoutMs);
  });
  const outcome = await Promise.race([qemu.exited.then(() => 'exited' as const), timedOut]).finally(() => clearTimeout(timer));
  if (outcome === 'timeout') {
    const { context, tail } = options.describe();
    throw new PowerControlTimeoutError('power-off', options.timeoutMs, tail, context);
  }
}

/** Stops the machine at once, as a power cut would: no shutdown inside the guest, QEMU quits. */
export async function crashGuest(qemu: QemuProcess): Promise<void> {
  await qemu.stop();
}
