// The two ways `harness boot` hands a booted VM to a person: --attach (this terminal, until Ctrl-] stops
// the VM) and --keep-running (serve the console for `harness attach` until asked to stop).
import { join } from 'node:path';
import type { BootedVm } from '../boot/booted-vm.ts';
import type { CliIO, TerminalInput } from './cli-io.ts';
import { type BridgeEnd, bridgeTerminal, detachKeyName, type GuestChannel } from './console-bridge.ts';
import { ConsoleServer } from './console-server.ts';

/** Why a kept-running VM stopped. */
export type KeepRunningEnd = 'stop-request' | 'qemu-exited' | NodeJS.Signals;

const stopSignals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
/** Guest terminal size when the boot process has no terminal to copy it from. */
const fallbackSize = { columns: 80, rows: 24 };

/** Attaches this terminal to the VM's serial console until the detach key or the end of QEMU. */
export async function attachHere(vm: BootedVm, io: CliIO, input: TerminalInput): Promise<BridgeEnd> {
  await fitGuestTerminal(vm, io.columns ?? fallbackSize.columns, io.rows ?? fallbackSize.rows);
  io.stdout(`\nAttached to the serial console of ${vm.plan.name}: ${detachKeyName} detaches and stops the VM.\n`);
  io.stdout(currentLine(vm));
  // This terminal answers the guest's terminal queries now; the harness must not answer them too.
  vm.console.answeringTerminalQueries = false;
  try {
    return await bridgeTerminal(guestChannel(vm), { input, write: io.stdout });
  } finally {
    vm.console.answeringTerminalQueries = true;
    io.stdout('\n');
  }
}

/**
 * Serves the console on a unix socket in the run dir (0600; attach.json in the log folder points at it)
 * until `harness attach --stop`, a signal (Ctrl-C here) or QEMU's end; then stops the VM with `stopVm`.
 * `notice` gets the lines telling a person how to attach and stop.
 */
export async function keepRunning(vm: BootedVm, io: CliIO, notice: (text: string) => void, stopVm: () => Promise<void>): Promise<KeepRunningEnd> {
  // The harness set a 1000-column tty for its own commands; a person's terminal is narrower.
  await fitGuestTerminal(vm, io.columns ?? fallbackSize.columns, io.rows ?? fallbackSize.rows);
  let requestStop: (end: KeepRunningEnd) => void = () => undefined;
  const stopRequested = new Promise<KeepRunningEnd>((resolve) => (requestStop = resolve));
  let markStopped: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (markStopped = resolve));
  let done = false;
  // Installed for the rest of the process: once the VM is stopped a further signal acts as if unhandled.
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!done) return requestStop(signal);
    for (const name of stopSignals) process.off(name, onSignal);
    process.kill(process.pid, signal);
  };
  const server = await ConsoleServer.listen({
    socketPath: join(vm.directories.runDir, 'console.sock'),
    logDir: vm.logDir,
    name: vm.plan.name,
    transport: vm.qemu.transport,
    greeting: () => currentLine(vm),
    onStop: async () => {
      requestStop('stop-request');
      await stopped;
    },
    onAttachedChange: (attached) => {
      vm.console.answeringTerminalQueries = !attached;
    },
  });
  for (const name of stopSignals) process.on(name, onSignal);
  notice(
    `\nThe VM keeps running. Attach a terminal to its serial console with:\n  harness attach ${vm.logDir}\n` +
      `(${detachKeyName} detaches, the VM keeps running.) Stop it with Ctrl-C here or: harness attach ${vm.logDir} --stop\n`,
  );
  const end = await Promise.race([stopRequested, vm.qemu.exited.then(() => 'qemu-exited' as const)]);
  try {
    await server.stopAccepting();
    await stopVm();
  } finally {
    done = true;
    markStopped();
    await server.close();
  }
  return end;
}

/** The console line the cursor is on (usually the prompt), so an attached terminal does not start blank. */
export function currentLine(vm: BootedVm): string {
  return vm.console.tail(1)[0] ?? '';
}

function guestChannel(vm: BootedVm): GuestChannel {
  const transport = vm.qemu.transport;
  return {
    write: (data) => transport.write(data),
    onData: (listener) => transport.onData(listener),
    ended: transport.exited.then(() => undefined),
  };
}

/** Tells the guest's tty the terminal's size (the harness set 1000 columns); only when the harness has the shell. */
async function fitGuestTerminal(vm: BootedVm, columns: number, rows: number): Promise<void> {
  let shell: BootedVm['shell'];
  try {
    shell = vm.shell;
  } catch {
    // No harness shell (an --expect run): nothing to resize.
    return;
  }
  // Cosmetic: a guest without stty keeps its columns, and the console works the same.
  await shell.run(`stty columns ${columns} rows ${rows} 2>/dev/null`, { timeoutMs: 10_000 }).catch(() => undefined);
}
