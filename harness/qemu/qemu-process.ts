// One QEMU process under a pty: serial console on its stdio, QMP on a unix socket, stderr to a file.
// Dies with its parent (PR_SET_PDEATHSIG through setpriv), so a SIGKILLed test leaves no guest behind.
import { readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { HarnessError } from '../errors.ts';
import { PtyTransport } from '../console/pty-transport.ts';
import type { TransportExit } from '../console/console-transport.ts';
import { Deadline } from '../util/deadline.ts';
import { sleep } from '../util/clock.ts';
import { buildQemuArgv, networkCaptureId } from './qemu-argv.ts';
import { QmpClient, parseHostForwards } from './qmp-client.ts';
import { waitForIncomingState } from './vm-state-stream.ts';
import { inheritedDescriptors, type VmSpec } from './vm-spec.ts';

export class QemuExitedError extends HarnessError {
  override readonly name = 'QemuExitedError';
  constructor(
    readonly exit: TransportExit,
    readonly stderr: string,
    readonly argv: readonly string[],
    readonly when: string,
  ) {
    const status = exit.signal ? `signal ${exit.signal}` : `exit code ${exit.exitCode}`;
    super(
      `QEMU exited ${when} (${status})`,
      `${stderr.trim() ? `QEMU said:\n${indent(stderr.trim())}\n` : ''}Command line: ${argv.join(' ')}`,
    );
  }
}

function indent(text: string): string {
  return text.split('\n').map((line) => `  | ${line}`).join('\n');
}

export interface QemuProcessOptions {
  stderrPath: string;
  pidFilePath: string;
  /** Budget for QEMU to create its QMP socket and answer. */
  startTimeoutMs?: number;
  /** Console read coalescing window (default consoleCoalesceMs; 0: every read at once). */
  consoleCoalesceMs?: number;
  /** The longest coalescing window while the console streams (default consoleCoalesceMaxMs). */
  consoleCoalesceMaxMs?: number;
}

/**
 * QEMU writes the guest UART a few bytes per write (7 bytes per read under TCG), and each read costs the
 * harness more than its bytes do; left unread for 5 ms after a read, the pty hands over ~90 bytes a read
 * (bench/results.md: the floor and the harness CPU per boot). A prompt is seen at most 5 ms later.
 */
export const consoleCoalesceMs = 5;

/**
 * While the console streams (a booting kernel), the window doubles up to this: the harness pays per read
 * (~0.6 ms of CPU per pause and read on a direct boot here, wake-ups included), so fewer reads is less CPU.
 * Against 40 ms, on the direct boot (issue 19's closing note of 2026-12-03): 70-85 reads per boot against
 * 76-91, 67-91 ms of main-thread CPU against 85-103, the prompt as soon. It costs no latency where latency
 * counts: anything the harness types ends the pause at once and caps the window at 40 ms until its answer
 * pauses (read-coalescer.ts `wrote`; the checks phase stays at 0.25 s), and a writer faster than the window
 * is not paused at all.
 */
export const consoleCoalesceMaxMs = 160;

export interface StopOptions {
  /** How long an ACPI power-off may take before `quit`; 0 skips the power-off request. */
  powerdownTimeoutMs?: number;
}

/**
 * QEMU runs under `sh -c` so its stderr goes to a file and macvtap devices are opened as the file
 * descriptors its argv names (node-pty can pass no extra descriptors). Paths come through the
 * environment, never spliced into the script.
 */
export function launcherScript(descriptors: readonly { fd: number; access?: 'read' | 'read-write' }[]): string {
  const opens = descriptors.map(({ fd, access }) => ` ${fd}${access === 'read' ? '<' : '<>'}"$HARNESS_QEMU_FD_${fd}"`).join('');
  return `exec "$@" 2>>"$HARNESS_QEMU_STDERR"${opens}`;
}

export class QemuProcess implements AsyncDisposable {
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly spec: VmSpec,
    readonly argv: readonly string[],
    readonly transport: PtyTransport,
    readonly qmp: QmpClient,
    private readonly options: QemuProcessOptions,
  ) {}

  /** The full command that was run, for logs and reports (QEMU binary first). */
  get commandLine(): string[] {
    return [this.spec.qemuBinary, ...this.argv];
  }

  get pid(): number {
    return this.transport.pid;
  }

  get exited(): Promise<TransportExit> {
    return this.transport.exited;
  }

  get hasExited(): boolean {
    return this.transport.exitStatus !== undefined;
  }

  /**
   * Starts QEMU and connects QMP. The caller must subscribe to the console before calling `resume()`
   * when the spec starts paused. On any failure QEMU is killed and the error says what QEMU printed.
   */
  static async start(spec: VmSpec, options: QemuProcessOptions): Promise<QemuProcess> {
    const argv = buildQemuArgv(spec);
    await writeFile(options.stderrPath, '', { mode: 0o600 });
    const descriptors = inheritedDescriptors(spec);
    const descriptorEnv = Object.fromEntries(descriptors.map(({ fd, path }) => [`HARNESS_QEMU_FD_${fd}`, path]));
    const transport = PtyTransport.spawn(
      'setpriv',
      ['--pdeathsig', 'KILL', '--', 'sh', '-c', launcherScript(descriptors), 'qemu', spec.qemuBinary, ...argv, '-pidfile', options.pidFilePath],
      {
        columns: 200,
        rows: 50,
        env: { ...process.env, HARNESS_QEMU_STDERR: options.stderrPath, ...descriptorEnv },
        coalesceMs: options.consoleCoalesceMs ?? consoleCoalesceMs,
        coalesceMaxMs: options.consoleCoalesceMaxMs ?? options.consoleCoalesceMs ?? consoleCoalesceMaxMs,
      },
    );
    const exitedEarly = transport.exited.then(async (exit) => {
      throw new QemuExitedError(exit, await readText(options.stderrPath), argv, 'during start-up');
    });
    try {
      const qmp = await Promise.race([QmpClient.connect(spec.qmpSocketPath, options.startTimeoutMs ?? 15_000), exitedEarly]);
      // Observed by the process object from here on; this only keeps the early-exit race from an unhandled rejection.
      exitedEarly.catch(() => undefined);
      return new QemuProcess(spec, argv, transport, qmp, options);
    } catch (error) {
      // The start failed with `error`, which is what the caller sees.
      exitedEarly.catch(() => undefined);
      await transport[Symbol.asyncDispose]();
      if (error instanceof QemuExitedError) throw error;
      // QEMU may have died just after the race was lost: prefer its own words.
      if (transport.exitStatus) {
        throw new QemuExitedError(transport.exitStatus, await readText(options.stderrPath), argv, 'during start-up');
      }
      throw error;
    }
  }

  async resume(): Promise<void> {
    if (this.spec.incomingStatePath) await waitForIncomingState(this.qmp);
    await this.qmp.execute('cont');
  }

  /** Removes the filter-dump of `spec.networkCapture`: QEMU closes the capture file and stops writing it. */
  async endNetworkCapture(): Promise<void> {
    await this.qmp.execute('object-del', { id: networkCaptureId });
  }

  async hostForwards(): Promise<{ hostAddress: string; hostPort: number; guestPort: number }[]> {
    return parseHostForwards(await this.qmp.human('info usernet'));
  }

  async stderrText(): Promise<string> {
    return readText(this.options.stderrPath);
  }

  /** Orderly stop: ACPI power-off, then `quit`, then SIGKILL. Idempotent and safe after QEMU died. */
  stop(options: StopOptions = {}): Promise<void> {
    this.stopping ??= this.stopOnce(options.powerdownTimeoutMs ?? 0);
    return this.stopping;
  }

  private async stopOnce(powerdownTimeoutMs: number): Promise<void> {
    if (!this.hasExited && powerdownTimeoutMs > 0) {
      // The exit is what counts, waited for just below; a QMP error (QEMU already going) changes nothing.
      await this.qmp.execute('system_powerdown').catch(() => undefined);
      await this.waitForExit(powerdownTimeoutMs);
    }
    if (!this.hasExited) {
      // As above; a QEMU that does not quit is killed next.
      await this.qmp.execute('quit').catch(() => undefined);
      await this.waitForExit(3000);
    }
    this.qmp.close();
    if (!this.hasExited) {
      this.transport.kill('SIGKILL');
      await this.waitForExit(3000);
    }
  }

  private async waitForExit(timeoutMs: number): Promise<void> {
    const deadline = Deadline.after(timeoutMs);
    while (!this.hasExited && !deadline.expired) await sleep(20);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

async function readText(path: string): Promise<string> {
  if (!existsSync(path)) return '';
  // No stderr file: QEMU said nothing there.
  return readFile(path, 'utf8').catch(() => '');
}
