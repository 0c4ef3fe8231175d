// What the harness created on the host's networking, written down as it is created, so it is undone on
// stop, on a signal (synchronously, at exit) and, after a SIGKILL, by the next run's sweep. Only what is
// in a ledger is ever removed: a bridge or namespace the user made is never touched.
import { readFileSync, writeFileSync } from 'node:fs';
import { killIfOurs } from '../../util/owned-process.ts';
import { join } from 'node:path';
import { HarnessError } from '../../errors.ts';
import { ip, ipSync, NetworkSetupError } from './ip-command.ts';

export type CreatedObject =
  | { kind: 'link'; name: string; netns?: string | undefined }
  | { kind: 'netns'; name: string }
  | { kind: 'process'; pid: number; commandIncludes: string };

export const ledgerFileName = 'l2-created.json';

/** What `ip` says when the object is gone already (QEMU took its tap with it): nothing left to undo. */
const alreadyGone = /Cannot find device|No such device|does not exist|Cannot open network namespace|No such file or directory/i;

export function describeObject(object: CreatedObject): string {
  return object.kind === 'process' ? `process ${object.pid}` : `${object.kind} ${object.name}${object.kind === 'link' && object.netns ? ` (netns ${object.netns})` : ''}`;
}

/** Host network objects the harness made and could not remove: they outlive the run, which is an error. */
export class L2LeakError extends HarnessError {
  override readonly name = 'L2LeakError';
  constructor(readonly leaked: readonly { object: CreatedObject; reason: string }[]) {
    super(
      `Left behind on the host: ${leaked.map(({ object, reason }) => `${describeObject(object)} (${reason})`).join('; ')}`,
      'Fix: remove them by hand (`ip link del dev NAME`, `ip netns del NAME`); the next run\'s sweep retries those still in its ledger.',
    );
  }
}

/** A ledger that exists but cannot be read: what it lists cannot be undone, so it is not "empty". */
export class LedgerUnreadableError extends HarnessError {
  override readonly name = 'LedgerUnreadableError';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`L2 ledger ${path} cannot be read (${reason}): the network objects it lists may be left on the host`, 'Fix: read it by hand and remove what it lists (`ip link del dev NAME`, `ip netns del NAME`).');
  }
}

export class L2Ledger {
  private readonly objects: CreatedObject[] = [];

  constructor(private readonly dir: string) {}

  get file(): string {
    return join(this.dir, ledgerFileName);
  }

  get entries(): readonly CreatedObject[] {
    return this.objects;
  }

  /** Written before the object exists, so a crash between the two leaves a harmless entry, never an orphan. */
  record(object: CreatedObject): void {
    this.objects.push(object);
    writeFileSync(this.file, `${JSON.stringify(this.objects, null, 2)}\n`, { mode: 0o600 });
  }

  /**
   * Undoes everything in reverse order of creation. An object already gone is fine; one that could not be
   * removed stays in the ledger (for the next sweep) and is thrown as an L2LeakError once all were tried.
   */
  async undo(): Promise<void> {
    const leaked: { object: CreatedObject; reason: string }[] = [];
    for (const object of [...this.objects].reverse()) {
      const reason = await undoObject(object);
      if (reason) leaked.push({ object, reason });
    }
    this.objects.length = 0;
    this.objects.push(...leaked.map(({ object }) => object).reverse());
    writeFileSync(this.file, `${JSON.stringify(this.objects, null, 2)}\n`, { mode: 0o600 });
    if (leaked.length > 0) throw new L2LeakError(leaked);
  }

  /** For process exit, where no promise runs; returns what could not be removed (there is no one left to tell but stderr). */
  undoSync(): { object: CreatedObject; reason: string }[] {
    const leaked: { object: CreatedObject; reason: string }[] = [];
    for (const object of [...this.objects].reverse()) {
      const reason = undoObjectSync(object);
      if (reason) leaked.push({ object, reason });
    }
    this.objects.length = 0;
    return leaked;
  }
}

/** Reads a ledger a dead process left (for the sweep). No ledger: nothing was made. An unreadable one throws LedgerUnreadableError. */
export function readLedger(dir: string): CreatedObject[] {
  const path = join(dir, ledgerFileName);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new LedgerUnreadableError(path, (error as NodeJS.ErrnoException).code ?? (error as Error).message);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new LedgerUnreadableError(path, `not JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw new LedgerUnreadableError(path, 'not a JSON list');
  return parsed as CreatedObject[];
}

/** Undoes a dead run's ledger: what was removed, and what could not be (with why). */
export function undoLedgerSync(dir: string): { undone: CreatedObject[]; leaked: { object: CreatedObject; reason: string }[] } {
  const objects = readLedger(dir);
  const leaked: { object: CreatedObject; reason: string }[] = [];
  const undone: CreatedObject[] = [];
  for (const object of [...objects].reverse()) {
    const reason = undoObjectSync(object);
    if (reason) leaked.push({ object, reason });
    else undone.push(object);
  }
  return { undone: undone.reverse(), leaked };
}

/** The `ip` call that undoes a link or namespace; processes are killed instead. */
function ipUndo(object: Exclude<CreatedObject, { kind: 'process' }>): { args: string[]; netns?: string | undefined } {
  return object.kind === 'link' ? { args: ['link', 'del', 'dev', object.name], netns: object.netns } : { args: ['netns', 'del', object.name] };
}

/** Undefined when undone (or already gone); otherwise why it is still there. */
async function undoObject(object: CreatedObject): Promise<string | undefined> {
  if (object.kind === 'process') {
    killIfOurs(object.pid, object.commandIncludes);
    return undefined;
  }
  const { args, netns } = ipUndo(object);
  try {
    await ip(args, { netns });
    return undefined;
  } catch (error) {
    const said = error instanceof NetworkSetupError ? error.stderr : (error as Error).message;
    return alreadyGone.test(said) ? undefined : said.trim() || (error as Error).message;
  }
}

function undoObjectSync(object: CreatedObject): string | undefined {
  if (object.kind === 'process') {
    killIfOurs(object.pid, object.commandIncludes);
    return undefined;
  }
  const { args, netns } = ipUndo(object);
  const said = ipSync(args, { netns });
  return said === undefined || alreadyGone.test(said) ? undefined : said.trim() || 'ip failed';
}

/** Names of interfaces the harness makes: `hb` + a role letter + 8 hex digits, within Linux's 15 bytes. */
export function harnessInterfaceName(role: 't' | 'm' | 'b' | 'v' | 'u', hex: string): string {
  return `hb${role}${hex.slice(0, 8)}`;
}

