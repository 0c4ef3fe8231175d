// What the harness created on the host's networking, written down as it is created, so it is undone on
// stop, on a signal (synchronously, at exit) and, after a SIGKILL, by the next run's sweep. Only what is
// in a ledger is ever removed: a bridge or namespace the user made is never touched.
import { readFileSync, writeFileSync } from 'node:fs';
import { killIfOurs } from '../../util/owned-process.ts';
import { join } from 'node:path';
import { ip, ipSyncQuiet } from './ip-command.ts';

export type CreatedObject =
  | { kind: 'link'; name: string; netns?: string | undefined }
  | { kind: 'netns'; name: string }
  | { kind: 'process'; pid: number; commandIncludes: string };

export const ledgerFileName = 'l2-created.json';

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

  /** Undoes everything in reverse order of creation; errors (already gone) are ignored. */
  async undo(): Promise<void> {
    for (const object of [...this.objects].reverse()) await undoObject(object);
    this.objects.length = 0;
    writeFileSync(this.file, '[]\n', { mode: 0o600 });
  }

  /** For process exit, where no promise runs. */
  undoSync(): void {
    for (const object of [...this.objects].reverse()) undoObjectSync(object);
    this.objects.length = 0;
  }
}

/** Reads a ledger a dead process left (for the sweep); an unreadable one is empty. */
export function readLedger(dir: string): CreatedObject[] {
  try {
    const parsed: unknown = JSON.parse(readFileSync(join(dir, ledgerFileName), 'utf8'));
    return Array.isArray(parsed) ? (parsed as CreatedObject[]) : [];
  } catch {
    return [];
  }
}

export function undoLedgerSync(dir: string): CreatedObject[] {
  const objects = readLedger(dir);
  for (const object of [...objects].reverse()) undoObjectSync(object);
  return objects;
}

/** The `ip` call that undoes a link or namespace; processes are killed instead. */
function ipUndo(object: Exclude<CreatedObject, { kind: 'process' }>): { args: string[]; netns?: string | undefined } {
  return object.kind === 'link' ? { args: ['link', 'del', 'dev', object.name], netns: object.netns } : { args: ['netns', 'del', object.name] };
}

async function undoObject(object: CreatedObject): Promise<void> {
  if (object.kind === 'process') {
    killIfOurs(object.pid, object.commandIncludes);
    return;
  }
  const { args, netns } = ipUndo(object);
  await ip(args, { netns }).catch(() => undefined);
}

function undoObjectSync(object: CreatedObject): void {
  if (object.kind === 'process') {
    killIfOurs(object.pid, object.commandIncludes);
    return;
  }
  const { args, netns } = ipUndo(object);
  ipSyncQuiet(args, { netns });
}

/** Names of interfaces the harness makes: `hb` + a role letter + 8 hex digits, within Linux's 15 bytes. */
export function harnessInterfaceName(role: 't' | 'm' | 'b' | 'v' | 'u', hex: string): string {
  return `hb${role}${hex.slice(0, 8)}`;
}

