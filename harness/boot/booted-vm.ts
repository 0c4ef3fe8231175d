// A guest booted by the harness: its serial console, shell, SSH, QMP, timeline and report, in one
// disposable handle. stop() is idempotent and keeps the logs while removing the run dir.
// Over 300 lines: it is the whole public handle (console, shell, SSH, VGA, link, power, reboot, snapshot,
// stop); start() and stopOnce() tell the boot as one call per step, the steps live in their own modules.
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SerialConsole } from '../console/serial-console.ts';
import type { ShellSession } from '../console/shell-session.ts';
import { ConsoleClosedError, TIMEOUT } from '../console/console-errors.ts';
import type { ChainRequest } from '../net/chain-server.ts';
import { QemuExitedError, QemuProcess } from '../qemu/qemu-process.ts';
import type { AcceleratorVerdict } from '../qemu/accelerator-probe.ts';
import { chooseAccelerator } from '../qemu/accelerator-probe.ts';
import type { VmSpec } from '../qemu/vm-spec.ts';
import { SshNotReadyError, SshSession } from '../ssh/ssh-client.ts';
import { describeContext, HarnessError } from '../errors.ts';
import type { SshKeyPair } from '../ssh/ssh-key.ts';
import { monotonicNowMs } from '../util/clock.ts';
import type { BootPlan, RestorePoint } from './boot-options.ts';
import { BootTimeline, type BootPhase, type PhaseMark } from './boot-phase.ts';
import type { BootReport, CpuChoice, IpxeReport, IpxeRequestRecord } from './boot-report.ts';
import type { CheckResult } from '../checks/check-result.ts';
import { diskOverlayName, machineRecipe, type MachineRecipe, userNicFor, vmSpec, vmStateFile } from './machine-recipe.ts';
import { makeRunDirArtefacts, runSshKey } from './run-dir-artefacts.ts';
import { RunningMachine } from './running-machine.ts';
import { ForwardedSsh, type ForwardedTarget } from './forwarded-ssh.ts';
import { runOutcome } from './run-outcome.ts';
import { initialBootReport } from './initial-report.ts';
import { captureScreen } from '../qemu/screendump.ts';
import type { ObservedRun, RunObserver } from './run-observer.ts';
import { MenuCountdownDetector } from './menu-countdown.ts';
import { type IpxeChain, prepareIpxeChain } from './ipxe-chain.ts';
import { watchChainWait } from './chain-failure-watch.ts';
import { waitForPromptOnSerial } from './prompt-wait.ts';
import type { RunDirectories } from './run-directory.ts';
import { prepareNics, type PreparedNics } from './nic-setup.ts';
import type { Duplex } from 'node:stream';
import { resolveTimeoutScale } from './resolve-timeout-scale.ts';
import { identifyImage } from './image-identity.ts';
import { classifyStoppedRun } from './failure-facts.ts';
import { fixedTimeoutScale, scaledMs, type TimeoutScale } from './timeout-scale.ts';
import { type ExpectVgaOptions, type VgaMatch, VgaScreen, type VgaText } from '../qemu/vga-screen.ts';
import { explainBootTimeout, watchPromptWait } from './silent-boot.ts';
import { netdevId } from '../qemu/qemu-argv.ts';
import { GuestAddressWatch } from '../net/guest-address-watch.ts';
import { saveVmState } from '../qemu/vm-state-stream.ts';
import { type BootOrder, crashGuest, powerOffGuest, resetGuest } from './power-control.ts';

export interface BootHooks {
  /** Called as each boot phase is reached (for progress output). */
  onPhase?: (mark: PhaseMark) => void;
  /** Called with each warning as it is recorded in the report (a cleanup step that failed, say); without it they are process warnings. */
  onWarning?: (text: string) => void;
  /** Called once a local iPXE chain is ready, before QEMU starts: to look at (or add to) what it serves. */
  onIpxeChain?: (chain: IpxeChain) => void | Promise<void>;
  /** Called as each boot attempt begins (1, then 2… when `retries` retries an infrastructure failure). */
  onAttempt?: (attempt: number) => void;
  /** Called with each attempt's run folder as soon as it exists (its report.json is there after a failure too). */
  onRunFolder?: (logDir: string) => void;
  /** Called once QEMU runs (still paused), with its pid. */
  onQemuStarted?: (pid: number) => void;
}

export class BootedVm implements AsyncDisposable {
  readonly timeline = new BootTimeline();
  readonly report: BootReport;
  private qemuProcess: QemuProcess | undefined;
  private machine: RunningMachine | undefined;
  private shellSession: ShellSession | undefined;
  private readonly forwardedSsh = new ForwardedSsh();
  private startedAtMs = 0;
  private key: SshKeyPair | undefined;
  private stopping: Promise<void> | undefined;
  private verdict: AcceleratorVerdict | undefined;
  private readonly observers: RunObserver[] = [];
  private readonly stoppedListeners: (() => void)[] = [];
  private stopFinished = false;
  private chain: IpxeChain | undefined;
  private preparedNics: PreparedNics | undefined;
  /** Where warnings go besides the report (the CLI: stderr); unset, they are emitted as process warnings. */
  onWarning: ((text: string) => void) | undefined;
  private scale: TimeoutScale = fixedTimeoutScale(1, 'not yet resolved');
  private vgaScreen: VgaScreen | undefined;
  /** When the serial console last printed (monotonic ms), for the silent-serial watch. */
  private lastSerialAtMs = 0;
  /** Signs of the guest's address on the forwarded NIC, while early SSH attempts run. */
  private addressWatch: GuestAddressWatch | undefined;

  constructor(
    readonly plan: BootPlan,
    readonly directories: RunDirectories,
  ) {
    this.report = initialBootReport(plan, directories.logDir);
  }

  get logDir(): string {
    return this.directories.logDir;
  }

  get accelerator(): AcceleratorVerdict | undefined {
    return this.verdict;
  }

  private get serialConsole(): SerialConsole | undefined {
    return this.machine?.console;
  }

  get console(): SerialConsole {
    if (!this.serialConsole) throw new Error('BootedVm.console used before the VM started');
    return this.serialConsole;
  }

  /** The serial shell with the harness's own prompt; undefined when the boot did not wait for a shell. */
  get shell(): ShellSession {
    if (!this.shellSession) throw new Error('BootedVm.shell is only there when the boot waited for a shell (waitFor: "shell")');
    return this.shellSession;
  }

  get qemu(): QemuProcess {
    if (!this.qemuProcess) throw new Error('BootedVm.qemu used before the VM started');
    return this.qemuProcess;
  }

  /** QEMU's pid once started (for leak-proof cleanup). */
  get qemuPid(): number | undefined {
    return this.qemuProcess?.pid;
  }

  /** How much every budget of this run is stretched (known once the accelerator is chosen). */
  get timeoutScale(): TimeoutScale {
    return this.scale;
  }

  /** The budget to reach the prompt, after the timeout scale. */
  get bootTimeoutMs(): number {
    return scaledMs(this.plan.bootTimeoutMs, this.scale);
  }

  /** The budget for SSH to answer, after the timeout scale. */
  get sshTimeoutMs(): number {
    return scaledMs(this.plan.sshTimeoutMs, this.scale);
  }

  get sshPort(): number | undefined {
    return this.report.sshPort;
  }

  get sshKey(): SshKeyPair | undefined {
    return this.key;
  }

  get phase(): BootPhase {
    return this.timeline.current;
  }

  /** Milliseconds since QEMU started. */
  elapsedMs(): number {
    return monotonicNowMs() - this.startedAtMs;
  }

  /** Calls `listener` once stop() has finished, cleanups done and run dir removed (whether or not it threw). */
  onceStopped(listener: () => void): void {
    if (this.stopFinished) listener();
    else this.stoppedListeners.push(listener);
  }

  /** Adds a watcher of this run (a recorder, a report writer); attach before start() to miss nothing. */
  observe(observer: RunObserver): void {
    this.observers.push(observer);
  }

  /** The report changed after the stop (a failure class, a retry record): observers rewrite what they wrote. */
  async reportUpdated(): Promise<void> {
    for (const observer of this.observers) await this.attempt('updating the reports', () => observer.reportUpdated?.(this.observedRun()));
  }

  private observedRun(): ObservedRun {
    return { name: this.plan.name, logDir: this.logDir, report: this.report, promptBudgetMs: this.bootTimeoutMs, warn: (text) => this.warn(text) };
  }

  markPhase(phase: BootPhase, evidence: string): void {
    this.timeline.mark(phase, this.elapsedMs(), evidence);
  }

  /** Plan, prepare, start and wait: the boot, each step one call. A failure leaves stop() to clean up. */
  async start(hooks: BootHooks = {}, cpus: CpuChoice = defaultCpuChoice(this.plan)): Promise<void> {
    const plan = this.plan;
    const { runDir } = this.directories;
    this.report.cpus = cpus;
    if (hooks.onWarning) this.onWarning = hooks.onWarning;
    this.followTimeline(hooks);
    const accel = await this.decideAccelerator();
    this.key = await runSshKey(plan, runDir);
    const recipe = machineRecipe(plan, { runDir, publicKey: this.key.publicKey });
    await makeRunDirArtefacts(recipe.artefacts, recipe.qemuImg);
    await this.prepareChain(recipe, hooks);
    const nics = await this.prepareNics(recipe);
    // A restored guest has its address already: its SSH is tried at full pace from the start.
    const networkCapturePath = this.expectsEarlySsh() && !plan.restoreFrom ? join(runDir, 'network-start.pcap') : undefined;
    const spec = vmSpec(plan, recipe, { runDir, accel, cpus: cpus.count, nics: nics.nics, consoleLogPath: this.report.logs.consoleRaw, networkCapturePath });
    const machine = await this.startMachine(spec, hooks);
    // QEMU has opened the capture file (paused): no frame is missed.
    if (spec.networkCapture) this.watchGuestAddress(spec.networkCapture.path);
    this.report.sshPort = await machine.forwardedPort(22);
    await nics.attachAfterStart();
    await machine.resume();
    this.lastSerialAtMs = monotonicNowMs();
    this.startEarlySsh();
    await this.waitForGuest();
  }

  /** Phase marks go to the report, the console's error context, the observers and the caller's hook. */
  private followTimeline(hooks: BootHooks): void {
    this.timeline.onMark((mark) => {
      this.report.phases = [...this.timeline.all];
      if (this.serialConsole) this.serialConsole.context.phase = this.timeline.current;
      for (const observer of this.observers) observer.phase?.(mark);
      hooks.onPhase?.(mark);
    });
  }

  /** KVM or TCG (probed), then what follows from it: the timeout scale; and the image's identity, for the report. */
  private async decideAccelerator(): Promise<AcceleratorVerdict['accel']> {
    const plan = this.plan;
    const verdict = await chooseAccelerator({
      requested: plan.accel,
      qemuBinary: plan.qemuBinary,
      ...(plan.probeKernel ? { kernelPath: plan.probeKernel } : {}),
      cacheDir: plan.cacheDir,
    });
    this.verdict = verdict;
    this.report.accelerator = verdict;
    this.scale = await resolveTimeoutScale(plan, verdict);
    this.report.timeoutScale = this.scale;
    this.report.imageIdentity = await identifyImage(plan.source, { cacheDir: plan.cacheDir });
    return verdict.accel;
  }

  /** A network boot's chain: served by us (HTTP, or slirp's TFTP from our folder), or a remote URL handed to iPXE. */
  private async prepareChain(recipe: MachineRecipe, hooks: BootHooks): Promise<void> {
    const source = this.plan.source;
    if (source.kind === 'ipxe' && source.mode === 'remote') {
      this.report.ipxe = { mode: 'remote', url: source.url, requests: [] };
      return;
    }
    // The recipe has a chain exactly for a local iPXE boot.
    if (!recipe.chain) return;
    this.chain = await prepareIpxeChain({ runDir: this.directories.runDir, ...recipe.chain });
    const ipxe: IpxeReport = { mode: recipe.chain.mode, url: this.chain.scriptUrl, requests: [] };
    this.report.ipxe = ipxe;
    this.chain.server?.onRequest((request) => ipxe.requests.push(this.requestRecord(request)));
    await hooks.onIpxeChain?.(this.chain);
  }

  /** The guest's NICs made on the host (taps, macvtaps, bridges) or planned (user mode); stop() releases them. */
  private async prepareNics(recipe: MachineRecipe): Promise<PreparedNics> {
    const plan = this.plan;
    const chain = this.chain;
    const nics = await prepareNics(plan.nics, plan.l2Fallback, { vmName: plan.name, runDir: this.directories.runDir, userNic: (mac) => userNicFor(plan, recipe, chain, mac) });
    this.preparedNics = nics;
    this.report.nics = nics.records;
    for (const warning of nics.warnings) this.warn(warning);
    return nics;
  }

  /** QEMU started paused, the console and the recording attached before the guest runs (no byte is missed). */
  private async startMachine(spec: VmSpec, hooks: BootHooks): Promise<RunningMachine> {
    const logs = this.report.logs;
    this.startedAtMs = monotonicNowMs();
    this.markPhase('qemu', `${spec.qemuBinary} -accel ${spec.accel}`);
    this.machine = await RunningMachine.start(spec, this.startedAtMs, {
      files: { logDir: this.logDir, qemuStderr: logs.qemuStderr, qemuArgv: logs.qemuArgv, consoleText: logs.consoleText, pidFile: join(this.directories.runDir, 'qemu.pid') },
      failurePatterns: Boolean(this.plan.failurePatterns),
      phase: this.timeline.current,
      onStarted: (qemu) => {
        this.qemuProcess = qemu;
        this.report.qemu = { argv: qemu.commandLine, pid: qemu.pid };
        hooks.onQemuStarted?.(qemu.pid);
        for (const observer of this.observers) observer.started?.(this.observedRun());
        if (!this.plan.bootMenu && !this.plan.restoreFrom) this.passMenuCountdown(qemu);
      },
      onBytes: (chunk) => {
        for (const observer of this.observers) observer.consoleBytes?.(chunk);
        this.lastSerialAtMs = monotonicNowMs();
      },
      onLine: (line, sinceStartMs) => this.timeline.observeLine(line, sinceStartMs),
    });
    return this.machine;
  }

  /**
   * SSH is tried from the moment the guest runs, so it is up by the time the checks ask; for a restored
   * guest, whose sshd is up already, while its shell is taken over.
   */
  private startEarlySsh(): void {
    if (!this.report.sshPort || !this.key || !this.expectsEarlySsh()) return;
    const watch = this.addressWatch;
    const attempts = this.forwardedSsh.startEarly(this.forwardedTarget(this.report.sshPort, this.key), this.bootTimeoutMs + this.sshTimeoutMs, watch);
    // The capture is only for these attempts: once they end, QEMU stops writing it.
    if (watch) void attempts.then(() => this.endAddressWatch());
  }

  private expectsEarlySsh(): boolean {
    const plan = this.plan;
    return (plan.keyInjection !== 'none' || plan.sshKeyPath !== undefined) && plan.waitFor === 'shell';
  }

  /** Follows the forwarded NIC's frames for signs of the guest's address (see overlapping-attempts.ts for why). */
  private watchGuestAddress(path: string): void {
    const watch = GuestAddressWatch.start(path);
    this.addressWatch = watch;
    watch.onSign((sign) => {
      if (!sign) return this.warn(`early SSH attempts overlap without waiting for the guest's address: ${watch.problem}`);
      this.report.guestAddressSign ??= { evidence: sign.evidence, sinceStartMs: Math.round(sign.atMs - this.startedAtMs) };
    });
  }

  private async endAddressWatch(): Promise<void> {
    const watch = this.addressWatch;
    if (!watch) return;
    this.addressWatch = undefined;
    watch.stop();
    const qemu = this.qemuProcess;
    if (!qemu || qemu.hasExited) return;
    // A stop racing this makes QMP go away under it: nothing to end then.
    await qemu.endNetworkCapture().catch((error: unknown) => this.stopping || this.warn(`ending the network capture failed: ${describeError(error)}`));
  }

  private forwardedTarget(port: number, key: SshKeyPair): ForwardedTarget {
    return { host: '127.0.0.1', port, username: 'root', privateKey: key.privateKey };
  }

  /**
   * A bootloader counting down to its default entry gets Enter at once: the same entry boots, without the
   * wait (GRUB's `timeout=3` of the systemd flavour). Callers that drive the menu themselves (`bootMenu`)
   * are left alone. The `menu` phase in the report says it happened.
   */
  private passMenuCountdown(qemu: QemuProcess): void {
    const detector = new MenuCountdownDetector();
    const unsubscribe = qemu.transport.onData((chunk) => {
      const countdown = detector.feed(chunk);
      if (countdown === undefined) return;
      unsubscribe();
      qemu.transport.write('\r');
      this.markPhase('menu', `bootloader menu passed at once: pressed Enter at its countdown ("${countdown} …") to boot the default entry`);
    });
  }

  /** The prompt wait; for a network boot, watched from the chain's side too. */
  private waitForGuest(): Promise<void> {
    return watchChainWait(this.waitForPrompt(), {
      source: this.plan.source,
      chain: this.chain,
      tail: (lines) => this.serialConsole?.tail(lines) ?? [],
      kernelStarted: () => this.timeline.reached('kernel'),
      logDir: this.logDir,
    });
  }

  private requestRecord(request: ChainRequest): IpxeRequestRecord {
    const { method, path, status, bytes, durationMs } = request;
    return { method, path, status, bytes, durationMs: Math.round(durationMs), atMs: Math.round(request.startedAtMs - this.startedAtMs) };
  }

  /**
   * The prompt wait, watched: when it times out, or the serial line stays silent for
   * `serialSilenceTimeoutMs`, the error says what the VGA screen shows and names the likely cause.
   */
  private async waitForPrompt(): Promise<void> {
    const watched = this.plan.serialSilenceTimeoutMs > 0 && !this.plan.restoreFrom && this.plan.waitFor !== 'nothing';
    await watchPromptWait(this.waitForPromptOnSerial(), {
      silenceTimeoutMs: watched ? scaledMs(this.plan.serialSilenceTimeoutMs, this.scale) : 0,
      lastSerialAtMs: () => this.lastSerialAtMs,
      explain: (kind, cause) =>
        explainBootTimeout({
          kind,
          cause,
          readVga: () => this.vga.read(),
          captureScreenshot: async () => {
            const path = join(this.logDir, 'screen.png');
            return captureScreen(this.qemu.qmp, path).then(() => path);
          },
          serialSawKernel: this.timeline.reached('kernel'),
          serialSilentForMs: monotonicNowMs() - this.lastSerialAtMs,
          serialBytes: this.serialConsole?.bytesSeen ?? 0,
          context: this.serialConsole?.context ?? {},
          tail: this.serialConsole?.tail(40) ?? [],
        }),
    });
  }

  private async waitForPromptOnSerial(): Promise<void> {
    try {
      this.shellSession = await waitForPromptOnSerial(this.console, this.plan, this.bootTimeoutMs, (phase, evidence) => this.markPhase(phase, evidence));
    } catch (error) {
      if (error instanceof ConsoleClosedError && this.qemuProcess) {
        const exit = await this.qemuProcess.exited;
        throw new QemuExitedError(exit, await this.qemuProcess.stderrText(), this.qemuProcess.commandLine, `while booting (phase ${this.phase})`);
      }
      throw error;
    }
  }

  /** The VGA screen reader (text mode from video memory, graphics modes by OCR). */
  get vga(): VgaScreen {
    this.vgaScreen ??= new VgaScreen(this.qemu.qmp, { scratchDir: this.directories.runDir });
    return this.vgaScreen;
  }

  /** The text on the VGA screen now, and which method read it (`vga-memory` or `ocr`). */
  vgaText(): Promise<VgaText> {
    return this.vga.read();
  }

  /** Waits until the VGA screen matches; nothing is consumed (the screen is a state, as in `console.expectScreen`). */
  expectVga(pattern: string | RegExp, options: Omit<ExpectVgaOptions, 'describe'>): Promise<VgaMatch> {
    return this.vga.expect(pattern, {
      ...options,
      describe: () => ({ context: this.serialConsole?.context ?? {}, tail: this.serialConsole?.tail(40) ?? [] }),
    });
  }

  /**
   * Takes the link of the guest's NIC number `nic` (in `nics` order, from 0) down or up, as a pulled
   * cable would (QMP `set_link`): the guest sees the carrier go and come back.
   */
  async setLink(nic: number, up: boolean): Promise<void> {
    const count = this.qemu.spec.nics.length;
    if (!Number.isInteger(nic) || nic < 0 || nic >= count) {
      throw new HarnessError(
        `setLink: this VM has no NIC number ${String(nic)}`,
        count === 0 ? 'It has no NIC at all (network: false or nics: []).' : `Fix: pass a NIC number from 0 to ${count - 1} (the order of \`nics\`).`,
      );
    }
    await this.qemu.qmp.execute('set_link', { name: netdevId(nic), up });
  }

  /**
   * Reboots the guest and waits for the next boot's prompt, as a second boot of the same run: the
   * timeline marks `reboot` and the phases again (`boot: 2`), the report and the cast show both boots,
   * and the console (with its expects) carries on. `guest`: types `command` (default `reboot`) on the
   * console; `reset` (default): QMP system_reset. `bootOrder` changes where the next boot comes from
   * (e.g. `c`: the disk an installer wrote, after booting its ISO). `waitForPrompt: false` returns once
   * the guest was reset (to watch the next boot's firmware on the VGA screen, say); a reboot the guest
   * then does by itself resets it again instead of ending the run, until the next `reboot()`.
   */
  async reboot(
    options: { how?: 'reset' | 'guest'; command?: string; bootOrder?: BootOrder; timeoutMs?: number; waitForPrompt?: boolean } = {},
  ): Promise<void> {
    const how = options.how ?? 'reset';
    const describe = () => ({ context: this.console.context, tail: this.console.tail(40) });
    const restoreNoReboot = await resetGuest(this.qemu, how === 'reset' ? { kind: 'reset' } : { kind: 'guest', send: () => this.console.sendLine(options.command ?? 'reboot') }, {
      timeoutMs: options.timeoutMs ?? this.bootTimeoutMs,
      bootOrder: options.bootOrder,
      describe,
    });
    this.forwardedSsh.dropSessions();
    this.shellSession = undefined;
    this.timeline.startNextBoot(this.elapsedMs(), `${how === 'reset' ? 'system_reset' : `guest ran \`${options.command ?? 'reboot'}\``}${options.bootOrder ? `, boot order ${options.bootOrder}` : ''}`);
    // What the first boot printed up to the reset (its last prompt among it) must not pass for the next boot's.
    await this.console.expect([/[\s\S]+$/, TIMEOUT], { timeoutMs: 1, failurePatterns: false });
    this.lastSerialAtMs = monotonicNowMs();
    if (options.waitForPrompt ?? true) {
      await this.waitForPrompt();
      await restoreNoReboot();
    }
  }

  /** ACPI power button (QMP system_powerdown), then waits up to `timeoutMs` for the guest to stop QEMU. */
  async powerOff(timeoutMs = 60_000): Promise<void> {
    this.forwardedSsh.closeSession();
    await powerOffGuest(this.qemu, { timeoutMs, describe: () => ({ context: this.console.context, tail: this.console.tail(40) }) });
    this.markPhase('stopped', 'the guest powered off (ACPI power button)');
  }

  /** Stops the machine at once, as a power cut would (no shutdown inside the guest). */
  async crash(): Promise<void> {
    this.forwardedSsh.closeSession();
    await crashGuest(this.qemu);
    this.markPhase('stopped', 'crashed: QEMU stopped at once, no shutdown in the guest');
  }

  /** SSH as root with the run's key, waiting until a real SSH exchange works. */
  async ssh(timeoutMs = this.sshTimeoutMs): Promise<SshSession> {
    if (!this.report.sshPort || !this.key) {
      throw new HarnessError(
        'This VM has no forwarded SSH port: it has no user-mode NIC',
        'Fix: add { mode: "user" } to `nics`, or reach an L2 guest from a host on its segment: vm.sshThrough(() => host.openStream(address, 22)).',
      );
    }
    let session: SshSession;
    try {
      session = await this.forwardedSsh.connect(this.forwardedTarget(this.report.sshPort, this.key), timeoutMs);
    } catch (error) {
      // Why SSH is not up is usually on the console (no key found, sshd failed): show it.
      if (error instanceof SshNotReadyError && this.serialConsole) {
        error.message += `\n${describeContext(this.serialConsole.context, this.serialConsole.tail(40))}`;
      }
      throw error;
    }
    this.markPhase('ssh', `ssh root@127.0.0.1:${this.report.sshPort}${describeReadiness(session.readiness)}`);
    return session;
  }

  /**
   * SSH as root with the run's key over a byte stream the caller opens (e.g. `SegmentHost.openStream`
   * to a guest on an L2 test segment), retried until a real exchange works. The caller closes it.
   */
  async sshThrough(openStream: () => Duplex, label: { host: string; port?: number }, timeoutMs = this.sshTimeoutMs): Promise<SshSession> {
    if (!this.key) throw new HarnessError('sshThrough used before the VM started');
    return SshSession.waitUntilReady({ host: label.host, port: label.port ?? 22, username: 'root', privateKey: this.key.privateKey, openStream }, timeoutMs);
  }

  /** Removes the taps/macvtaps/bridges made for this run at once (process exit: no promise will run); returns what it could not. */
  releaseNetworkSync(): string[] {
    return this.preparedNics?.releaseSync() ?? [];
  }

  /**
   * Saves the running guest (its state as a migration stream, see vm-state-stream.ts) and its drives into
   * `dir`, then stops it. Later runs started with `restoreFrom` and the same options resume from here in
   * under a second instead of booting.
   */
  async saveSnapshot(dir: string, snapshotName = 'harness-ready'): Promise<RestorePoint> {
    if (!this.plan.snapshotable) throw new HarnessError('saveSnapshot needs a VM booted with `snapshotable: true`');
    const prompt = this.shellSession?.prompt;
    if (!prompt || !this.key) throw new HarnessError('saveSnapshot needs a guest at the harness shell prompt (waitFor: "shell")');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // Leaves the guest paused: its disks stay as the saved state left them.
    await saveVmState(this.qemu.qmp, join(dir, vmStateFile));
    // The drives are consistent only once QEMU has let go of them.
    await this.qemu.stop();
    const { runDir } = this.directories;
    for (const index of this.plan.disks.keys()) await copyFile(join(runDir, diskOverlayName(index)), join(dir, diskOverlayName(index)));
    const privateKeyPath = join(dir, 'id_ed25519');
    await writeFile(privateKeyPath, this.key.privateKey, { mode: 0o600 });
    await this.stop();
    return { dir, snapshotName, prompt, privateKeyPath };
  }

  recordChecks(checks: CheckResult[], serviceLog?: string): void {
    this.report.checks.push(...checks);
    if (serviceLog !== undefined) this.report.serviceLog = serviceLog;
    for (const observer of this.observers) observer.checksRecorded?.(checks);
  }

  /** Stops QEMU, writes report.json, removes the run dir. Idempotent; never throws over an earlier error. */
  stop(failure?: unknown): Promise<void> {
    this.stopping ??= this.stopOnce(failure).finally(() => {
      this.stopFinished = true;
      for (const listener of this.stoppedListeners.splice(0)) listener();
    });
    // A caller stopping because of its own failure keeps that failure: the stop's are in the report's warnings.
    return failure ? this.stopping.catch(() => undefined) : this.stopping;
  }

  /**
   * Something that did not fail the run but was not done (a screenshot, a log or report file): recorded in
   * the report's warnings and handed to `onWarning` (the CLI prints it on stderr), else emitted as a
   * process warning (Node prints those on stderr).
   */
  warn(text: string): void {
    this.report.warnings = [...(this.report.warnings ?? []), text];
    if (this.onWarning) this.onWarning(text);
    else process.emitWarning(text, { type: 'HarnessWarning' });
  }

  /** Runs one cleanup step; its failure becomes a warning with its cause, and the other steps still run. */
  private async attempt(what: string, step: () => Promise<unknown> | undefined): Promise<void> {
    try {
      await step();
    } catch (error) {
      this.warn(`${what} failed: ${describeError(error)}`);
    }
  }

  /** The stop, each step one call: SSH closed, a screenshot of a failure, the machine down, the verdict, the recordings, the run dir. */
  private async stopOnce(failure: unknown): Promise<void> {
    this.forwardedSsh.close();
    this.addressWatch?.stop();
    await this.screenshotIfFailed(failure);
    const stopError = await this.stopMachine();
    await this.concludeReport(failure ?? stopError);
    // The recorder writes console.cast and the reports here: before the run dir goes, after the verdict.
    for (const observer of this.observers) await this.attempt('a run observer', () => observer.stopped?.(this.observedRun()));
    await this.attempt('removing the run dir', () => this.directories.remove());
    // Never over an earlier error: the caller's failure is what it needs to see (the others are warnings).
    if (stopError && !failure) throw stopError;
  }


  /** What the VGA console showed when things went wrong (firmware, bootloader, tty0-only messages). */
  private async screenshotIfFailed(failure: unknown): Promise<void> {
    const failed = Boolean(failure) || this.report.checks.some((check) => !check.passed);
    const qemu = this.qemuProcess;
    if (failed && qemu && !qemu.hasExited) await this.attempt('VGA screenshot (screen.png)', () => captureScreen(qemu.qmp, join(this.logDir, 'screen.png')));
  }

  /** QEMU, the chain server and the host's NICs down, console.txt flushed; returns what failed the stop itself. */
  private async stopMachine(): Promise<unknown> {
    let stopError: unknown;
    try {
      await this.qemuProcess?.stop();
    } catch (error) {
      stopError = error;
      this.warn(`stopping QEMU failed: ${describeError(error)}`);
    }
    await this.attempt('stopping the iPXE chain server', () => this.chain?.stop());
    // A tap, macvtap or bridge left on the host outlives the run: an error, not a warning.
    try {
      await this.preparedNics?.release();
    } catch (error) {
      stopError ??= error;
      this.warn(`error: ${describeError(error)}`);
    }
    await this.attempt('writing console.txt', () => this.machine?.close());
    return stopError;
  }

  /** How QEMU ended, the `stopped` mark, the outcome and, for a failed run, whose fault it was. */
  private async concludeReport(ended: unknown): Promise<void> {
    const exit = this.qemuProcess?.transport.exitStatus;
    if (exit) this.report.qemu.exit = exit;
    const dropped = this.qemuProcess?.transport.droppedWrites;
    if (dropped && dropped.writes > 0) this.report.droppedConsoleWrites = { ...dropped };
    this.markPhase('stopped', ended ? 'stopped after a failure' : 'stopped');
    if (ended instanceof Error) this.report.error = { name: ended.name, message: ended.message };
    this.report.outcome = runOutcome({ failed: Boolean(ended), checks: this.report.checks, waitFor: this.plan.waitFor, promptReached: this.timeline.reached('prompt') });
    this.report.passed = this.report.outcome === 'passed';
    // Every failed run says whose fault it was (a failed check is the image's); bootVm refines boot failures.
    if (this.report.outcome === 'failed') await this.attempt('classifying the failure', async () => void (this.report.failure = await classifyStoppedRun(ended, this.report)));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0]! : String(error);
}

function defaultCpuChoice(plan: BootPlan): CpuChoice {
  const count = plan.cpus === 'auto' ? 1 : plan.cpus;
  return { count, chosenBy: plan.cpus === 'auto' ? 'automatic' : 'caller', reason: `${count} vCPU${count === 1 ? '' : 's'}, started without host slots`, waitedMs: 0 };
}

/** How many attempts the session took: a crowd of them is what a loaded guest's sshd had to serve. */
function describeReadiness(readiness: SshSession['readiness']): string {
  if (!readiness) return '';
  const dropped = readiness.droppedSilent > 0 ? `, ${readiness.droppedSilent} dropped for silence` : '';
  return ` (${readiness.attempts} ${readiness.attempts === 1 ? 'attempt' : 'attempts'}${dropped})`;
}
