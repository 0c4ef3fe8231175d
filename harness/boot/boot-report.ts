// The report of one run, written as boot-logs/<run>/report.json and printed by `harness boot --json`.
import type { AcceleratorVerdict } from '../qemu/accelerator-probe.ts';
import type { PhaseMark } from './boot-phase.ts';
import type { NicRecord } from './nic-setup.ts';
import type { TimeoutScale } from './timeout-scale.ts';
import type { ImageIdentity } from './image-identity.ts';
import type { FailureClassification, RetryRecord } from './failure-class.ts';

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

export interface CheckEvidence {
  command: string;
  output: string;
  exitCode?: number;
}

export interface CheckResult {
  id: string;
  title: string;
  passed: boolean;
  /** One line a person reads first. */
  verdict: string;
  evidence: CheckEvidence[];
  durationMs: number;
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
  phases: PhaseMark[];
  qemu: { argv: string[]; pid: number | undefined; exit?: { exitCode: number | null; signal: number | null } | undefined };
  sshPort: number | undefined;
  /** The guest's NICs as made (mode, MAC, host interface); absent before QEMU was set up. */
  nics?: NicRecord[] | undefined;
  /** Things that did not fail the run but change what it shows (e.g. an L2 NIC replaced by user-mode networking). */
  warnings?: string[] | undefined;
  /** Present for network boots. */
  ipxe?: IpxeReport | undefined;
  checks: CheckResult[];
  /** The `journalctl -u pre-nixos` output, collected whenever a check failed. */
  serviceLog?: string | undefined;
  passed: boolean;
  error?: { name: string; message: string } | undefined;
  /** A failed run: whether the image or the infrastructure failed, and why (only infrastructure is retried). */
  failure?: FailureClassification | undefined;
  /** This run followed failed attempts (infrastructure failures only): which, and why they failed. */
  retry?: RetryRecord | undefined;
  logs: { dir: string; consoleRaw: string; consoleText: string; qemuStderr: string; qemuArgv: string; report: string };
}
