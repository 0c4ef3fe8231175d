// Signalling a process by pid only when it is still the one we started: pids are reused, so the check
// is that its command line still names something of ours (a run dir's socket, a segment's lease file).
import { readFileSync } from 'node:fs';

export function commandLineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    // No /proc entry: the process is gone, so it cannot be proven ours (callers then leave it alone).
    return '';
  }
}

/** SIGKILLs `pid` when its command line contains `mark`; true when a signal was sent. */
export function killIfOurs(pid: number, mark: string): boolean {
  if (!commandLineOf(pid).includes(mark)) return false;
  try {
    process.kill(pid, 'SIGKILL');
    return true;
  } catch {
    // Already gone (ESRCH) or not ours to signal (EPERM): nothing was killed, which is what false says.
    return false;
  }
}
