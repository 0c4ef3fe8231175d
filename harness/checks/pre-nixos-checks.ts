// What a pre-nixos installer image promises, one check each, with the command and output as evidence.
// Every check talks to the guest through a CommandRunner (serial shell or SSH), so they work on any image.
import type { CheckResult } from './check-result.ts';
import type { CommandRunner } from '../command/command-runner.ts';
import { waitUntilSucceeds } from '../command/command-assertions.ts';
import { identityCommand, SshSession, type SshTarget } from '../ssh/ssh-client.ts';
import { evidenceOf, runCheck } from './check-runner.ts';
import { parseStorageStatus, parseStorageStatusWith, type StorageStatus, type StorageStatusFormat } from './storage-status-parser.ts';

export type { StorageStatus, StorageStatusFormat } from './storage-status-parser.ts';
export const storageStatusPath = '/run/pre-nixos/storage-status';

export interface StorageStatusOptions {
  /** How long pre-nixos (a oneshot that may still run when the shell appears) gets to write the file. */
  timeoutMs?: number;
  /** How the image writes the file, when the built-in shapes (word, KEY=value, key: value, JSON, leading word) do not read it. */
  format?: StorageStatusFormat | undefined;
}

/** The primary NIC carries the name `lan` (pre-nixos renames it when it has a root key). */
export function nicRenamed(runner: CommandRunner, name = 'lan'): Promise<CheckResult> {
  return runCheck('nic-renamed', `primary NIC renamed to ${name}`, async () => {
    const result = await runner.execute('ip -o link show');
    const names = interfaceNames(result.stdout);
    const passed = names.includes(name);
    return {
      passed,
      verdict: passed ? `interface ${name} present (${names.join(', ')})` : `no interface named ${name}; interfaces: ${names.join(', ') || 'none'}`,
      evidence: [evidenceOf(result)],
    };
  });
}

/** Negative case: without a key pre-nixos leaves the NIC alone. */
export function nicNotRenamed(runner: CommandRunner, name = 'lan'): Promise<CheckResult> {
  return runCheck('nic-not-renamed', `primary NIC not renamed to ${name}`, async () => {
    const result = await runner.execute('ip -o link show');
    const names = interfaceNames(result.stdout);
    const passed = !names.includes(name) && names.some((n) => n !== 'lo');
    return {
      passed,
      verdict: passed ? `no ${name}; NIC kept its name (${names.join(', ')})` : `interfaces: ${names.join(', ')}`,
      evidence: [evidenceOf(result)],
    };
  });
}

export function interfaceNames(ipLinkOutput: string): string[] {
  const names: string[] = [];
  for (const line of ipLinkOutput.split('\n')) {
    const match = /^\d+:\s+([^:@\s]+)/.exec(line);
    if (match) names.push(match[1]!);
  }
  return names;
}

export interface LeaseExpectation {
  /** Under QEMU user networking the guest gets 10.0.2.15 from 10.0.2.2; on an L2 segment, what its DHCP server hands out (a RegExp accepts any match). */
  address?: string | RegExp;
  gateway?: string | RegExp;
  timeoutMs?: number;
}

const anyIpv4 = /^\d+\.\d+\.\d+\.\d+$/;
/** For a guest whose primary NIC is on an L2 segment: any address, any gateway, as long as DHCP gave them. */
export const anyLease: LeaseExpectation = { address: anyIpv4, gateway: anyIpv4 };

function matches(expected: string | RegExp, actual: string | undefined): boolean {
  if (actual === undefined) return false;
  return typeof expected === 'string' ? expected === actual : expected.test(actual);
}

/** An IPv4 address obtained by DHCP on `name`: address present, marked dynamic (or a lease recorded), default route via the DHCP server. */
export function dhcpLease(runner: CommandRunner, name = 'lan', expected: LeaseExpectation = {}): Promise<CheckResult> {
  const address = expected.address ?? '10.0.2.15';
  const gateway = expected.gateway ?? '10.0.2.2';
  return runCheck('dhcp-lease', `DHCP lease on ${name}`, async () => {
    // Read first: the lease is usually there by the prompt, and under TCG every process spent on a poll
    // costs ~0.1–0.3 s. A lease may land a little after the prompt on a busy machine: then wait (best
    // effort) and read again; the reads are the evidence, and say what is missing.
    let addr = await runner.execute(`ip -4 -o addr show dev ${name}`);
    if (!/\binet /.test(addr.stdout)) {
      await waitUntilSucceeds(runner, `ip -4 -o addr show dev ${name} | grep -q 'inet '`, {
        timeoutMs: expected.timeoutMs ?? 30_000,
        intervalMs: 1000,
      }).catch(() => undefined); // see above: the read below is the evidence
      addr = await runner.execute(`ip -4 -o addr show dev ${name}`);
    }
    const route = await runner.execute('ip -4 route show default');
    const inet = /inet (\d+\.\d+\.\d+\.\d+)\/(\d+)/.exec(addr.stdout);
    const dynamic = /\bdynamic\b/.test(addr.stdout);
    const via = new RegExp(`via (\\S+)\\b.*\\bdev ${name}\\b`).exec(route.stdout)?.[1];
    const problems: string[] = [];
    if (!inet) problems.push(`no IPv4 address on ${name}`);
    else if (!matches(address, inet[1])) problems.push(`address ${inet[1]}, expected ${String(address)}`);
    if (inet && !dynamic) problems.push('address not marked dynamic (not from DHCP)');
    if (!matches(gateway, via)) problems.push(`no default route via ${String(gateway)} on ${name}${via ? ` (via ${via})` : ''}`);
    return {
      passed: problems.length === 0,
      verdict: problems.length === 0 ? `${inet?.[1]}/${inet?.[2]} by DHCP, default route via ${via}` : problems.join('; '),
      evidence: [evidenceOf(addr), evidenceOf(route)],
    };
  });
}

/**
 * A real SSH exchange and a command, with the run's key. `session`: a session that is already being set up
 * (BootedVm.ssh(), tried since the guest started), used and left open; otherwise one is made and closed.
 */
export function sshReachable(target: SshTarget, timeoutMs: number, session?: () => Promise<SshSession>): Promise<CheckResult> {
  return runCheck('ssh-reachable', 'SSH reachable with the run key', async () => {
    const command = identityCommand;
    // The check's own command is the readiness probe (of the session made here, or of the one set up since
    // the guest started): its answer came over a real exchange with the run key, one channel fewer.
    const owned = session ? undefined : await SshSession.waitUntilReady(target, timeoutMs, { probeCommand: command });
    try {
      const used = owned ?? (await session!());
      const result = used.readyProbe?.command === command ? used.readyProbe : await used.execute(command);
      return {
        passed: result.exitCode === 0,
        verdict: result.exitCode === 0 ? `ssh ${target.username}@${target.host}:${target.port} works (${result.stdout.trim().replace(/\n/g, ' on ')})` : `command over SSH exited ${result.exitCode}`,
        evidence: [{ command: `ssh -p ${target.port} ${target.username}@${target.host} '${command}'`, output: result.stdout + result.stderr, exitCode: result.exitCode }],
      };
    } finally {
      owned?.close();
    }
  });
}

/** Lists listening TCP sockets with whichever of ss / netstat the guest has, saying which (exit 127: neither). */
export const listeningSocketsCommand =
  "if command -v ss >/dev/null 2>&1; then echo 'tool: ss'; ss -ltn; elif command -v netstat >/dev/null 2>&1; then echo 'tool: netstat'; netstat -ltn; else echo 'neither ss nor netstat in the guest'; exit 127; fi";

/** Negative case: without a key there is no SSH server to log in to. */
export function sshUnreachable(target: SshTarget, runner: CommandRunner, attemptMs = 10_000): Promise<CheckResult> {
  return runCheck('ssh-unreachable', 'SSH not reachable (no key, no sshd)', async () => {
    const listeners = await runner.execute(listeningSocketsCommand);
    let sshOutcome: string;
    let connected = false;
    try {
      const session = await SshSession.connectOnce(target, attemptMs);
      connected = true;
      session.close();
      sshOutcome = 'SSH login succeeded';
    } catch (error) {
      sshOutcome = `SSH login failed as expected: ${(error as Error).message}`;
    }
    const sshEvidence = { command: `ssh -p ${target.port} root@${target.host}`, output: sshOutcome };
    const tool = /^tool: (\S+)/m.exec(listeners.stdout)?.[1];
    if (listeners.exitCode !== 0 || !tool) {
      const why = listeners.exitCode === 127 ? 'neither ss nor netstat in the guest' : `listing the sockets failed (exit ${listeners.exitCode}${tool ? ` from ${tool}` : ''})`;
      return { passed: false, verdict: `cannot tell whether anything listens on port 22: ${why}`, evidence: [evidenceOf(listeners), sshEvidence] };
    }
    const listening = listeners.stdout.split('\n').some((line) => !line.startsWith('tool:') && /:22\b/.test(line));
    return {
      passed: !connected && !listening,
      verdict: !connected && !listening ? `no sshd listening (${tool}), login refused` : connected ? 'SSH login worked without a key' : 'something listens on port 22',
      evidence: [evidenceOf(listeners), sshEvidence],
    };
  });
}

/**
 * `/run/pre-nixos/storage-status` says `plan-only` (no disk) or `applied` (a disk was attached): as one word,
 * a `STATE=`/`status:` line, a JSON field, the first word of a longer line, or in the image's own `format`.
 */
export function storageStatus(runner: CommandRunner, expected: StorageStatus, options: StorageStatusOptions | number = {}): Promise<CheckResult> {
  const { timeoutMs = 60_000, format } = typeof options === 'number' ? { timeoutMs: options } : options;
  return runCheck('storage-status', `pre-nixos storage status is ${expected}`, async () => {
    // Waiting is best effort (pre-nixos is a oneshot that may still run): the read below is the evidence.
    await waitUntilSucceeds(runner, `test -s ${storageStatusPath}`, { timeoutMs, intervalMs: 1000 }).catch(() => undefined);
    const result = await runner.execute(`cat ${storageStatusPath}`);
    if (result.exitCode !== 0) return { passed: false, verdict: `${storageStatusPath} missing`, evidence: [evidenceOf(result)] };
    const parsed = format ? parseStorageStatusWith(result.stdout, format) : parseStorageStatus(result.stdout);
    if (!parsed.ok) {
      return {
        passed: false,
        verdict: `cannot read the state from ${storageStatusPath}: ${parsed.problem}`,
        evidence: [evidenceOf(result), { command: '(reading the state)', output: `${parsed.problem}\nFix: pass the image's format (storageStatus: { pattern } or { parse } in the API, --storage-pattern on the command line)` }],
      };
    }
    const { state, foundAt } = parsed.reading;
    const passed = state === expected;
    return {
      passed,
      verdict: passed ? `${state} (${foundAt})` : `${state} (${foundAt}), expected ${expected}`,
      evidence: [evidenceOf(result), { command: '(reading the state)', output: `state: ${state}\nfound at: ${foundAt}` }],
    };
  });
}

/** The last 300 entries of the unit's log in this boot; `-n` rather than a `tail` process (one process fewer under TCG). */
export function serviceLogCommand(unit = 'pre-nixos'): string {
  return `journalctl -u ${unit} -b --no-pager -n 300 2>&1`;
}

/** The service log, as `journalctl -u <unit>` prints it (the default image ships a journalctl that reads its log). */
export async function collectServiceLog(runner: CommandRunner, unit = 'pre-nixos'): Promise<string> {
  const result = await runner.execute(serviceLogCommand(unit), { timeoutMs: 30_000 });
  return result.stdout;
}
