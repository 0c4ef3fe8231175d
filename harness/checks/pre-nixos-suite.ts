// The full set of pre-nixos checks for one booted VM; collects the service log when anything fails.
import type { CheckResult } from './check-result.ts';
import {
  collectServiceLog,
  dhcpLease,
  listeningSocketsCommand,
  nicNotRenamed,
  nicRenamed,
  serviceLogCommand,
  sshReachable,
  sshUnreachable,
  storageStatus,
  storageStatusPath,
  anyLease,
  type LeaseExpectation,
  type StorageStatus,
} from './pre-nixos-checks.ts';
import { systemRunning, systemRunningCommand, unitSucceeded } from './systemd-unit.ts';
import type { Duplex } from 'node:stream';
import type { SshTarget } from '../ssh/ssh-client.ts';
import type { StorageStatusFormat } from './storage-status-parser.ts';
import { skippedCheck } from './check-runner.ts';
import { PrefetchedRunner, type PrefetchedCommand } from './prefetched-runner.ts';
import { scaledMs } from '../util/deadline.ts';
import type { SshKeyPair } from '../ssh/ssh-key.ts';
import type { SshSession } from '../ssh/ssh-client.ts';
import type { CommandRunner } from '../command/command-runner.ts';

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

/**
 * What the checks read from a booted VM: a BootedVm, or a fake in unit tests. Declared here, not taken
 * from boot/, so checks sit below boot and boot's report can hold their results without a cycle.
 */
export interface PreNixosTarget {
  readonly shell: CommandRunner;
  /** The SSH session as root with the run's key, waiting until an exchange works. */
  ssh(): Promise<SshSession>;
  readonly sshPort: number | undefined;
  readonly sshKey: Pick<SshKeyPair, 'privateKey'> | undefined;
  readonly sshTimeoutMs: number;
  readonly timeoutScale: { readonly factor: number };
  /** The NICs as made (the first one's mode says whether the primary NIC is on an L2 segment). */
  readonly report: { readonly nics?: readonly { readonly mode: string }[] | undefined };
  markPhase(phase: 'checks', evidence: string): void;
  recordChecks(checks: CheckResult[], serviceLog?: string): void;
}

/**
 * The first command each serial-shell check runs, in the order the suite runs them: all answered by one
 * round trip (a check that has to wait, e.g. for a late lease, polls on its own after that). They must
 * equal what the checks send, letter for letter, or they simply run again (the unit test pins this).
 */
export function preNixosPrefetch(expected: PreNixosExpectations, nic = 'lan', systemRunningBudgetMs = 120_000): PrefetchedCommand[] {
  return [
    // First: boot-up finished, so what follows reads final state.
    { command: systemRunningCommand(systemRunningBudgetMs), timeoutMs: systemRunningBudgetMs },
    // The slowest reads (journalctl opens the journal files: 0.2–0.7 s under TCG; systemctl 0.15–0.45 s)
    // run alongside the `ip` ones: on a guest with 2 vCPUs they take turns on both.
    { command: serviceLogCommand('pre-nixos'), alongside: true },
    { command: 'systemctl show pre-nixos -p ActiveState,SubState,Result,ExecMainStatus,ExecMainExitTimestampMonotonic --no-pager', alongside: true },
    { command: 'ip -o link show' },
    ...(expected.keyPresent
      ? [{ command: `ip -4 -o addr show dev ${nic}` }, { command: 'ip -4 route show default' }]
      : [{ command: listeningSocketsCommand }]),
    { command: `test -s ${storageStatusPath}` },
    { command: `cat ${storageStatusPath}` },
  ];
}

export async function runPreNixosChecks(vm: PreNixosTarget, expected: PreNixosExpectations): Promise<PreNixosOutcome> {
  vm.markPhase('checks', expected.keyPresent ? 'pre-nixos checks (key present)' : 'pre-nixos checks (no key)');
  const target = sshTarget(vm, expected);
  // SSH has its own channel: its check runs while the serial-shell checks do, and is listed in its place.
  // vm.ssh(): the session the VM has been setting up since the guest started (over the forwarded port only).
  const earlySession = expected.ssh ? undefined : () => vm.ssh();
  const sshCheck = typeof target !== 'string' && expected.keyPresent ? sshReachable(target, vm.sshTimeoutMs, earlySession) : undefined;
  // The checks' own budgets stretch with the run's timeout scale, like the boot's.
  const budgetMs = (ms: number) => scaledMs(ms, vm.timeoutScale);
  const shell = await PrefetchedRunner.prefetch(vm.shell, preNixosPrefetch(expected, 'lan', budgetMs(120_000)));
  const checks: CheckResult[] = [];
  // Boot-up finished, then the oneshot's outcome: every other promise depends on it having run.
  checks.push(await systemRunning(shell, budgetMs(120_000)));
  checks.push(await unitSucceeded(shell, 'pre-nixos', budgetMs(120_000)));
  if (expected.keyPresent) {
    checks.push(await nicRenamed(shell, 'lan'));
    const primaryOnL2 = vm.report.nics?.[0] !== undefined && vm.report.nics[0].mode !== 'user';
    checks.push(await dhcpLease(shell, 'lan', { timeoutMs: budgetMs(30_000), ...(expected.lease ?? (primaryOnL2 ? anyLease : {})) }));
    checks.push(sshCheck ? await sshCheck : skippedCheck('ssh-reachable', 'SSH reachable with the run key', typeof target === 'string' ? target : 'no SSH check was started'));
  } else {
    checks.push(await nicNotRenamed(shell, 'lan'));
    checks.push(typeof target === 'string' ? skippedCheck('ssh-unreachable', 'SSH not reachable (no key, no sshd)', target) : await sshUnreachable(target, shell));
  }
  checks.push(await storageStatus(shell, expected.storage, { timeoutMs: budgetMs(60_000), format: expected.storageStatus }));
  const passed = checks.every((check) => check.passed);
  // Kept on success too: it is the evidence of what the service did.
  const serviceLog = await collectServiceLog(shell).catch((error: Error) => `(could not collect: ${error.message})`);
  vm.recordChecks(checks, serviceLog);
  return { checks, passed, serviceLog };
}

/** Where the SSH checks connect, or why they cannot (then the check is recorded as skipped). */
export function sshTarget(vm: Pick<PreNixosTarget, 'sshKey' | 'sshPort'>, expected: Pick<PreNixosExpectations, 'ssh'>): SshTarget | string {
  const key = vm.sshKey;
  if (!key) return 'the VM has no run key';
  if (expected.ssh) return { host: expected.ssh.host, port: 22, username: 'root', privateKey: key.privateKey, openStream: expected.ssh.openStream };
  const port = vm.sshPort;
  if (port) return { host: '127.0.0.1', port, username: 'root', privateKey: key.privateKey };
  return 'the guest has no forwarded SSH port (no user-mode NIC) and no way over its segment was given (the `ssh: { host, openStream }` expectation)';
}
