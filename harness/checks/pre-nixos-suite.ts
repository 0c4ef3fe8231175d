// The full set of pre-nixos checks for one booted VM; collects the service log when anything fails.
import type { BootedVm } from '../boot/booted-vm.ts';
import type { CheckResult } from '../boot/boot-report.ts';
import {
  collectServiceLog,
  dhcpLease,
  nicNotRenamed,
  nicRenamed,
  sshReachable,
  sshUnreachable,
  storageStatus,
  anyLease,
  type LeaseExpectation,
  type StorageStatus,
} from './pre-nixos-checks.ts';
import { systemRunning, unitSucceeded } from './systemd-unit.ts';
import type { Duplex } from 'node:stream';
import type { SshTarget } from '../ssh/ssh-client.ts';
import type { StorageStatusFormat } from './storage-status-parser.ts';
import { skippedCheck } from './check-runner.ts';

export interface PreNixosExpectations {
  /** With a root key pre-nixos renames the NIC to lan, gets a lease and starts sshd; without one it does none of that. */
  keyPresent: boolean;
  storage: StorageStatus;
  /** The lease `lan` should get; default: QEMU user networking's, or any DHCP lease when the primary NIC is on an L2 segment. */
  lease?: LeaseExpectation;
  /** How the image writes its storage-status file, when the built-in shapes do not read it. */
  storageStatus?: StorageStatusFormat | undefined;
  /**
   * How to reach the guest's SSH when it has no forwarded port (no user-mode NIC): a stream to its port 22,
   * e.g. `{ host: '10.213.7.50', openStream: () => segmentHost.openStream('10.213.7.50', 22) }`.
   * Without it such a guest's SSH check is recorded as skipped, which is not a pass.
   */
  ssh?: { host: string; openStream: () => Duplex } | undefined;
}

export interface PreNixosOutcome {
  checks: CheckResult[];
  passed: boolean;
  serviceLog: string | undefined;
}

export async function runPreNixosChecks(vm: BootedVm, expected: PreNixosExpectations): Promise<PreNixosOutcome> {
  vm.markPhase('checks', expected.keyPresent ? 'pre-nixos checks (key present)' : 'pre-nixos checks (no key)');
  const shell = vm.shell;
  const checks: CheckResult[] = [];
  // Boot-up finished, then the oneshot's outcome: every other promise depends on it having run.
  checks.push(await systemRunning(shell));
  checks.push(await unitSucceeded(shell, 'pre-nixos'));
  const target = sshTarget(vm, expected);
  if (expected.keyPresent) {
    checks.push(await nicRenamed(shell, 'lan'));
    const primaryOnL2 = vm.report.nics?.[0] !== undefined && vm.report.nics[0].mode !== 'user';
    checks.push(await dhcpLease(shell, 'lan', expected.lease ?? (primaryOnL2 ? anyLease : {})));
    checks.push(typeof target === 'string' ? skippedCheck('ssh-reachable', 'SSH reachable with the run key', target) : await sshReachable(target, vm.plan.sshTimeoutMs));
  } else {
    checks.push(await nicNotRenamed(shell, 'lan'));
    checks.push(typeof target === 'string' ? skippedCheck('ssh-unreachable', 'SSH not reachable (no key, no sshd)', target) : await sshUnreachable(target, shell));
  }
  checks.push(await storageStatus(shell, expected.storage, { format: expected.storageStatus }));
  const passed = checks.every((check) => check.passed);
  // Kept on success too: it is the evidence of what the service did.
  const serviceLog = await collectServiceLog(shell).catch((error: Error) => `(could not collect: ${error.message})`);
  vm.recordChecks(checks, serviceLog);
  return { checks, passed, serviceLog };
}

/** Where the SSH checks connect, or why they cannot (then the check is recorded as skipped). */
export function sshTarget(vm: Pick<BootedVm, 'sshKey' | 'sshPort'>, expected: Pick<PreNixosExpectations, 'ssh'>): SshTarget | string {
  const key = vm.sshKey;
  if (!key) return 'the VM has no run key';
  if (expected.ssh) return { host: expected.ssh.host, port: 22, username: 'root', privateKey: key.privateKey, openStream: expected.ssh.openStream };
  const port = vm.sshPort;
  if (port) return { host: '127.0.0.1', port, username: 'root', privateKey: key.privateKey };
  return 'the guest has no forwarded SSH port (no user-mode NIC) and no way over its segment was given (the `ssh: { host, openStream }` expectation)';
}
