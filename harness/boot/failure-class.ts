// Whose fault a failed run was: the image's (a panic, a failed check, a guest that printed but never gave
// a prompt) or the infrastructure's (QEMU could not start or was killed with no guest cause, the host out
// of memory or disk, a port or lock race, a silent guest on an overloaded host). Only the second kind may
// be retried: a retry must never hide a regression. Pure: the caller gathers the facts.

/** `configuration`: the options or the host's set-up cannot run this boot at all (fix them; never retried). */
export type FailureClass = 'image' | 'infrastructure' | 'configuration';

export interface FailureClassification {
  failureClass: FailureClass;
  /** One line a person reads: what happened and why it is that class. */
  reason: string;
  /** The host's 1-minute load average and CPU count when the failure was classified. */
  loadAverage?: number;
  cpus?: number;
}

/** What the caller knows about a failure, gathered from the error, the run's logs and the host. */
export interface FailureFacts {
  /** The error's class name (`ConsoleFailureError`, `QemuExitedError`, `ExpectTimeoutError`, …). */
  errorName: string;
  errorMessage: string;
  /** errno-style code anywhere in the error's cause chain (ENOMEM, ENOSPC, EADDRINUSE, …). */
  errorCode?: string | undefined;
  /** Checks that ran and failed (an image failure whatever else happened). */
  failedChecks: readonly string[];
  /** QEMU's exit, when it exited on its own or was killed. */
  qemuExit?: { exitCode: number | null; signal: number | null } | undefined;
  /** QEMU's stderr. */
  qemuStderr: string;
  /** ms between the guest's last console line and the failure; undefined when it printed nothing. */
  consoleSilentMs: number | undefined;
  /** Whether the guest printed anything at all. */
  guestPrinted: boolean;
  /** 1-minute load average and CPU count at the failure. */
  loadAverage: number;
  cpus: number;
}

/** A guest that printed within this long before a timeout was alive, not starved. */
export const aliveWithinMs = 30_000;

/** Errors that mean "fix the options or the host", which a retry cannot change. */
const configurationErrors = new Set(['UsageError', 'L2UnavailableError', 'MacCollisionError', 'NetworkSetupError', 'BridgeMissingError', 'DefaultImageMissingError']);

const hostResourceWords = /Cannot allocate memory|Out of memory|No space left on device|Disk quota exceeded|failed to (?:allocate|mmap)/i;
const raceWords = /Address already in use|Failed to get "write" lock|Failed to get shared "write" lock|Is another process using the image|Resource temporarily unavailable|Device or resource busy/i;

export function classifyFailure(facts: FailureFacts): FailureClassification {
  const infrastructure = (reason: string): FailureClassification => ({ failureClass: 'infrastructure', reason });
  const image = (reason: string): FailureClassification => ({ failureClass: 'image', reason });
  const load = `load average ${facts.loadAverage.toFixed(2)} on ${facts.cpus} CPUs`;

  if (facts.failedChecks.length > 0) return image(`check failed: ${facts.failedChecks.join(', ')}`);
  if (configurationErrors.has(facts.errorName)) {
    return { failureClass: 'configuration', reason: `the options or the host's set-up cannot run this boot: ${firstLine(facts.errorMessage)}` };
  }
  // The guest said why: a panic, an Oops, emergency mode, a failed unit.
  if (facts.errorName === 'ConsoleFailureError') return image(`the guest failed: ${firstLine(facts.errorMessage)}`);
  if (facts.errorCode === 'ENOMEM' || facts.errorCode === 'ENOSPC' || hostResourceWords.test(facts.qemuStderr) || hostResourceWords.test(facts.errorMessage)) {
    return infrastructure(`the host ran out of memory or disk: ${firstLine(hostResourceWords.exec(facts.qemuStderr)?.[0] ?? facts.errorCode ?? facts.errorMessage)}`);
  }
  if (facts.errorCode === 'EADDRINUSE' || raceWords.test(facts.qemuStderr) || raceWords.test(facts.errorMessage)) {
    return infrastructure(`a port or lock race: ${firstLine(raceWords.exec(facts.qemuStderr)?.[0] ?? raceWords.exec(facts.errorMessage)?.[0] ?? facts.errorCode ?? '')}`);
  }
  if (facts.errorName === 'QemuExitedError' || facts.errorName === 'ConsoleClosedError') {
    const exit = facts.qemuExit;
    if (/during start-up/.test(facts.errorMessage) || !facts.guestPrinted) {
      return infrastructure(`QEMU could not start the guest: ${firstLine(lastLine(facts.qemuStderr) || facts.errorMessage)}`);
    }
    // Killed by a signal (OOM killer, an operator, a runner shutting down): nothing in the guest asked for it.
    if (exit?.signal) return infrastructure(`QEMU died of signal ${exit.signal} with no guest cause (the guest was still printing)`);
    if (exit && exit.exitCode !== 0) return infrastructure(`QEMU exited with code ${exit.exitCode} with no guest cause: ${firstLine(lastLine(facts.qemuStderr) || 'no stderr')}`);
    // Exit code 0 under -no-reboot: the guest powered off or rebooted by itself.
    return image('the guest powered off or rebooted before its prompt');
  }
  if (facts.errorName === 'ExpectTimeoutError' || /not seen after \d+ ms/.test(facts.errorMessage)) {
    if (facts.consoleSilentMs !== undefined && facts.consoleSilentMs <= aliveWithinMs) {
      return image(`prompt never reached although the guest was alive and printing (last line ${Math.round(facts.consoleSilentMs / 1000)} s before the timeout)`);
    }
    const silent = facts.consoleSilentMs === undefined ? 'the guest printed nothing' : `the guest silent for ${Math.round(facts.consoleSilentMs / 1000)} s`;
    if (facts.loadAverage > facts.cpus) return infrastructure(`timeout with ${silent} and the host overloaded (${load})`);
    return image(`timeout with ${silent} on a host that was not overloaded (${load}): the guest hung`);
  }
  if (facts.errorName === 'none') return image(facts.errorMessage);
  // Anything else (an SSH that never answered, a failed command): the image's until shown otherwise.
  return image(`${facts.errorName}: ${firstLine(facts.errorMessage)}`);
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0]!.slice(0, 200);
}

function lastLine(text: string): string {
  return text.trim().split('\n').filter((line) => line.trim() && !/warning:/i.test(line)).at(-1)?.trim() ?? '';
}

/** One attempt of a run that was retried. */
export interface AttemptRecord extends FailureClassification {
  attempt: number;
  /** The failed attempt's run folder (its logs are kept). */
  logDir: string;
  loadAverage: number;
  cpus: number;
}

/** On the report of a run that passed (or ran) after retries. */
export interface RetryRecord {
  /** 1-based: 2 means the first retry. */
  attempt: number;
  firstAttempt: AttemptRecord;
  attempts: AttemptRecord[];
}

export function retryLine(retry: RetryRecord, passed: boolean): string {
  return `${passed ? 'passed' : 'ran'} on retry ${retry.attempt - 1}, first attempt: ${retry.firstAttempt.failureClass}: ${retry.firstAttempt.reason}`;
}
