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
  storageStatusPath,
  anyLease,
  type LeaseExpectation,
  type StorageStatus,
} from './pre-nixos-checks.ts';
import { systemRunning, unitSucceeded } from './systemd-unit.ts';
import type { SshTarget } from '../ssh/ssh-client.ts';
import { PrefetchedRunner, type PrefetchedCommand } from './prefetched-runner.ts';

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

/** What the checks read from a booted VM (a BootedVm; a fake in unit tests). */
export type PreNixosTarget = Pick<BootedVm, 'shell' | 'ssh' | 'sshPort' | 'sshKey' | 'report' | 'plan' | 'markPhase' | 'recordChecks'>;

/**
 * The first command each serial-shell check runs, in the order the suite runs them: all answered by one
 * round trip (a check that has to wait, e.g. for a late lease, polls on its own after that). They must
 * equal what the checks send, letter for letter, or they simply run again (the unit test pins this).
 */
export function preNixosPrefetch(expected: PreNixosExpectations, nic = 'lan'): PrefetchedCommand[] {
  return [
    // First: boot-up finished, so what follows reads final state.
    { command: 'timeout 119 systemctl is-system-running --wait 2>&1', timeoutMs: 120_000 },
    { command: 'systemctl show pre-nixos -p ActiveState,SubState,Result,ExecMainStatus,ExecMainExitTimestampMonotonic --no-pager' },
    { command: 'ip -o link show' },
    ...(expected.keyPresent
      ? [{ command: `ip -4 -o addr show dev ${nic} | grep -q 'inet '` }, { command: `ip -4 -o addr show dev ${nic}` }, { command: 'ip -4 route show default' }]
      : [{ command: "netstat -ltn 2>/dev/null | grep -E ':22\\b' || ss -ltn 2>/dev/null | grep -E ':22\\b' || true" }]),
    { command: `test -s ${storageStatusPath}` },
    { command: `cat ${storageStatusPath}` },
    { command: 'journalctl -u pre-nixos -b --no-pager 2>&1 | tail -n 300' },
  ];
}

export async function runPreNixosChecks(vm: PreNixosTarget, expected: PreNixosExpectations): Promise<PreNixosOutcome> {
  vm.markPhase('checks', expected.keyPresent ? 'pre-nixos checks (key present)' : 'pre-nixos checks (no key)');
  const port = vm.sshPort;
  const key = vm.sshKey;
  const target: SshTarget | undefined = port && key ? { host: '127.0.0.1', port, username: 'root', privateKey: key.privateKey } : undefined;
  // SSH has its own channel: its check runs while the serial-shell checks do, and is listed in its place.
  // vm.ssh(): the session the VM has been setting up since the guest started.
  const sshCheck = target && expected.keyPresent ? sshReachable(target, vm.plan.sshTimeoutMs, () => vm.ssh()) : undefined;
  const shell = await PrefetchedRunner.prefetch(vm.shell, preNixosPrefetch(expected));
  const checks: CheckResult[] = [];
  // Boot-up finished, then the oneshot's outcome: every other promise depends on it having run.
  checks.push(await systemRunning(shell));
  checks.push(await unitSucceeded(shell, 'pre-nixos'));
  if (expected.keyPresent) {
    checks.push(await nicRenamed(shell, 'lan'));
    const primaryOnL2 = vm.report.nics?.[0] !== undefined && vm.report.nics[0].mode !== 'user';
    checks.push(await dhcpLease(shell, 'lan', expected.lease ?? (primaryOnL2 ? anyLease : {})));
    if (sshCheck) checks.push(await sshCheck);
  } else {
    checks.push(await nicNotRenamed(shell, 'lan'));
    if (target) checks.push(await sshUnreachable(target, shell));
  }
  checks.push(await storageStatus(shell, expected.storage));
  const passed = checks.every((check) => check.passed);
  // Kept on success too: it is the evidence of what the service did.
  const serviceLog = await collectServiceLog(shell).catch((error: Error) => `(could not collect: ${error.message})`);
  vm.recordChecks(checks, serviceLog);
  return { checks, passed, serviceLog };
}
