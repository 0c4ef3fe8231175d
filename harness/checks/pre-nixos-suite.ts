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
import { scaledMs } from '../boot/timeout-scale.ts';

export interface PreNixosExpectations {
  /** With a root key pre-nixos renames the NIC to lan, gets a lease and starts sshd; without one it does none of that. */
  keyPresent: boolean;
  storage: StorageStatus;
  /** The lease `lan` should get; default: QEMU user networking's, or any DHCP lease when the primary NIC is on an L2 segment. */
  lease?: LeaseExpectation;
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
  // The checks' own budgets stretch with the run's timeout scale, like the boot's.
  const budgetMs = (ms: number) => scaledMs(ms, vm.timeoutScale);
  // Boot-up finished, then the oneshot's outcome: every other promise depends on it having run.
  checks.push(await systemRunning(shell, budgetMs(120_000)));
  checks.push(await unitSucceeded(shell, 'pre-nixos', budgetMs(120_000)));
  const port = vm.sshPort;
  const key = vm.sshKey;
  if (expected.keyPresent) {
    checks.push(await nicRenamed(shell, 'lan'));
    const primaryOnL2 = vm.report.nics?.[0] !== undefined && vm.report.nics[0].mode !== 'user';
    checks.push(await dhcpLease(shell, 'lan', { timeoutMs: budgetMs(30_000), ...(expected.lease ?? (primaryOnL2 ? anyLease : {})) }));
    if (port && key) checks.push(await sshReachable({ host: '127.0.0.1', port, username: 'root', privateKey: key.privateKey }, vm.sshTimeoutMs));
  } else {
    checks.push(await nicNotRenamed(shell, 'lan'));
    if (port && key) checks.push(await sshUnreachable({ host: '127.0.0.1', port, username: 'root', privateKey: key.privateKey }, shell));
  }
  checks.push(await storageStatus(shell, expected.storage, budgetMs(60_000)));
  const passed = checks.every((check) => check.passed);
  // Kept on success too: it is the evidence of what the service did.
  const serviceLog = await collectServiceLog(shell).catch((error: Error) => `(could not collect: ${error.message})`);
  vm.recordChecks(checks, serviceLog);
  return { checks, passed, serviceLog };
}
