// The report of one run, written as boot-logs/<run>/report.json and printed by `harness boot --json`.
import type { AcceleratorVerdict } from '../qemu/accelerator-probe.ts';
import type { PhaseMark } from './boot-phase.ts';
import type { NicRecord } from './nic-setup.ts';
import type { TimeoutScale } from './timeout-scale.ts';
import type { ImageIdentity } from './image-identity.ts';
import type { FailureClassification, RetryRecord } from './failure-class.ts';
import type { CheckResult } from '../checks/check-result.ts';

/** One request the local chain server answered; `atMs` is since QEMU started, like the phases. */
export interface IpxeRequestRecord {
  method: string;
  path: string;
  status: number;
  bytes: number;
  durationMs: number;
  atMs: number;
}

export interface IpxeReport {
  /** `http`/`tftp`: the harness served the chain; `remote`: the guest chained to a given URL. */
  mode: 'http' | 'tftp' | 'remote';
  /** The boot URL handed to iPXE, as the guest sees it. */
  url: string;
  /** What the local HTTP server served (empty for TFTP, whose server is slirp's, and for remote chains). */
  requests: IpxeRequestRecord[];
}

export type RunOutcome = 'passed' | 'failed' | 'booted' | 'matched';

/** How many vCPUs a guest got: set by the caller, chosen from the free host slots, or a snapshot's fixed 1. */
export interface CpuChoice {
  count: number;
  chosenBy: 'automatic' | 'caller' | 'snapshot';
  reason: string;
  /** Time the boot waited for free host vCPU slots. */
  waitedMs: number;
}

export interface BootReport {
  name: string;
  startedAt: string;
  image: Record<string, unknown>;
  /** sha256 and size of each image file, and the ISO's volume id: whether two runs booted the same image. */
  imageIdentity?: ImageIdentity | undefined;
  accelerator: AcceleratorVerdict | undefined;
  /** The factor every budget was multiplied by, and why (auto: TCG speed measured against a reference). */
  timeoutScale?: TimeoutScale | undefined;
  keyInjection: string;
  /** The guest's vCPUs: how many, chosen by whom and why. */
  cpus?: CpuChoice | undefined;
  phases: PhaseMark[];
  qemu: { argv: string[]; pid: number | undefined; exit?: { exitCode: number | null; signal: number | null } | undefined };
  sshPort: number | undefined;
  /**
   * The first frame on the forwarded NIC showing the guest had an address (ms since QEMU started), after
   * which early SSH attempts overlapped; absent when not watched (no forwarded SSH, a restore).
   */
  guestAddressSign?: { evidence: string; sinceStartMs: number } | undefined;
  /** The guest's NICs as made (mode, MAC, host interface); absent before QEMU was set up. */
  nics?: NicRecord[] | undefined;
  /** Things that did not fail the run but change what it shows (e.g. an L2 NIC replaced by user-mode networking). */
  warnings?: string[] | undefined;
  /** Keystrokes that never reached the guest because its console had closed (counted, not printed). */
  droppedConsoleWrites?: { writes: number; bytes: number; reason: string | undefined } | undefined;
  /** Present for network boots. */
  ipxe?: IpxeReport | undefined;
  checks: CheckResult[];
  /**
   * What the run proved. `passed`: checks ran and every one passed. `failed`: a check failed or was
   * skipped, or the run broke. With no checks at all: `booted` (the prompt was reached) or `matched`
   * (the `waitFor` pattern was seen) — never `passed`.
   */
  outcome?: RunOutcome | undefined;
  /** The `journalctl -u pre-nixos` output, collected whenever a check failed. */
  serviceLog?: string | undefined;
  /** True only when checks ran and every one passed (zero checks is not a pass). */
  passed: boolean;
  error?: { name: string; message: string } | undefined;
  /** A failed run: whether the image or the infrastructure failed, and why (only infrastructure is retried). */
  failure?: FailureClassification | undefined;
  /** This run followed failed attempts (infrastructure failures only): which, and why they failed. */
  retry?: RetryRecord | undefined;
  logs: { dir: string; consoleRaw: string; consoleText: string; qemuStderr: string; qemuArgv: string; report: string };
}
