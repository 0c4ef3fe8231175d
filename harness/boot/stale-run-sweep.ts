// Removes what runs killed before they could clean up left behind: their run dirs and, if still alive,
// their QEMU. Only processes whose command line names that run dir's QMP socket are touched, so nothing
// the harness did not start is ever signalled.
import { readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDirPrefix } from './run-directory.ts';
import { describeObject, undoLedgerSync } from '../net/l2/l2-ledger.ts';
import { killIfOurs } from '../util/owned-process.ts';

export interface SweepResult {
  removedRunDirs: string[];
  killedPids: number[];
  /** Interfaces, namespaces and processes the dead runs' L2 ledgers listed, now removed. */
  undoneNetworkObjects: string[];
  /** What the sweep could not do (a ledger it cannot read, an object it cannot remove); those run dirs are kept. */
  problems: string[];
}

export async function sweepStaleRuns(root = tmpdir()): Promise<SweepResult> {
  const result: SweepResult = { removedRunDirs: [], killedPids: [], undoneNetworkObjects: [], problems: [] };
  let entries: string[];
  try {
    entries = await readdir(root);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') result.problems.push(`cannot list ${root} for stale runs: ${(error as Error).message}`);
    return result;
  }
  for (const entry of entries) {
    if (!entry.startsWith(runDirPrefix)) continue;
    const runDir = join(root, entry);
    const owner = await readPid(join(runDir, 'owner.pid'));
    if (owner === undefined || isAlive(owner)) continue;
    const qemu = await readPid(join(runDir, 'qemu.pid'));
    if (qemu !== undefined && killIfOurs(qemu, join(runDir, 'qmp.sock'))) result.killedPids.push(qemu);
    // After QEMU is gone: a macvtap it held open can be deleted, and the ledger names only what the dead run made.
    let undo: ReturnType<typeof undoLedgerSync>;
    try {
      undo = undoLedgerSync(runDir);
    } catch (error) {
      result.problems.push(`stale run ${runDir} kept: ${(error as Error).message.split('\n')[0]}`);
      continue;
    }
    for (const object of undo.undone) result.undoneNetworkObjects.push(object.kind === 'process' ? `process ${object.pid}` : `${object.kind} ${object.name}`);
    if (undo.leaked.length > 0) {
      result.problems.push(`stale run ${runDir} kept: could not remove ${undo.leaked.map(({ object, reason }) => `${describeObject(object)} (${reason})`).join('; ')}`);
      continue;
    }
    await rm(runDir, { recursive: true, force: true });
    result.removedRunDirs.push(runDir);
  }
  return result;
}

async function readPid(path: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt((await readFile(path, 'utf8')).trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    // No readable pid file: not a run this sweep can judge, so it is left alone.
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
