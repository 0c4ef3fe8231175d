// Host-wide vCPU slots: every harness process on this machine (vitest workers, several CLIs) shares one
// pool of slots, one per host core, and a booting guest holds one slot per vCPU. A slot is an flock(2)
// on `<dir>/vcpu-<n>.lock`, held by a small helper process that serves requests read from its stdin: the
// kernel drops the locks when the helper exits, so a holder that was SIGKILLed frees its slots at once
// (its stdin closes with it), and no lock file ever needs cleaning up. A helper whose slots were released
// is kept for this process's next request: a spawn of a big node process is a fork that copies its page
// tables (~4-6 ms of our CPU at a suite's 150-200 MB), which every boot paid for its slots.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { HarnessError } from '../errors.ts';

/**
 * For each request line `<want> <least>`: locks `want` of the `capacity` slot files (at least `least`),
 * trying again every `poll` seconds until it can, prints `held <n>...` and keeps them until the next line
 * (the release), then waits for the next request. It waits itself, on stdin: a wait costs no process of
 * ours per try, and the caller giving up (stdin closed) ends it at once, as does this process's exit.
 */
const helperScript = `
dir=$1; capacity=$2; poll=$3
while read -r want least; do
  while :; do
    held=(); fds=()
    for ((i = 0; i < capacity && \${#held[@]} < want; i++)); do
      exec {fd}>>"$dir/vcpu-$i.lock"
      if flock -n "$fd"; then held+=("$i"); fds+=("$fd"); else exec {fd}>&-; fi
    done
    if (( \${#held[@]} >= least )); then break; fi
    for fd in "\${fds[@]}"; do exec {fd}>&-; done
    read -r -t "$poll" _
    (( $? == 1 )) && exit 0
  done
  echo "held \${held[*]}"
  read -r _ || exit 0
  for fd in "\${fds[@]}"; do exec {fd}>&-; done
done
`;

export type SlotRequest =
  /** Exactly this many vCPUs (more than the host has: all of them), waiting until they are free. */
  | { vcpus: number }
  /** As many free slots as there are, at least one and at most `upTo`, waiting for the first. */
  | { upTo: number };

export interface SlotGrant {
  /** Slots held, one per vCPU. */
  readonly vcpus: number;
  /** Slots on this host. */
  readonly capacity: number;
  /** Time spent waiting for free slots. */
  readonly waitedMs: number;
  /** Frees the slots; idempotent. */
  release(): void;
}

export class SlotHelperError extends HarnessError {
  override readonly name = 'SlotHelperError';
  constructor(
    readonly dir: string,
    readonly said: string,
  ) {
    super(`vCPU slot helper failed in ${dir}: ${said || 'it said nothing'}`, 'Fix: the harness needs bash and flock (util-linux) on PATH, and write access to the cache dir.');
  }
}

export interface HostCpuSlotsOptions {
  dir: string;
  capacity: number;
  /** How often a waiting request tries again (default 250 ms; the helper process does the trying). */
  pollMs?: number;
}

export class HostCpuSlots {
  readonly dir: string;
  readonly capacity: number;
  private readonly pollMs: number;

  constructor(options: HostCpuSlotsOptions) {
    if (!Number.isInteger(options.capacity) || options.capacity < 1) {
      throw new HarnessError(`Expected \`capacity\` to be a positive integer, got \`${String(options.capacity)}\` (${typeof options.capacity})`);
    }
    this.dir = options.dir;
    this.capacity = options.capacity;
    this.pollMs = options.pollMs ?? 250;
  }

  /** Waits until the slots are free (one helper process does the trying); `signal` gives up the wait. */
  async acquire(request: SlotRequest, signal?: AbortSignal): Promise<SlotGrant> {
    const want = Math.min(this.capacity, Math.max(1, 'vcpus' in request ? request.vcpus : request.upTo));
    const least = 'vcpus' in request ? want : 1;
    signal?.throwIfAborted();
    await mkdir(this.dir, { recursive: true });
    const startedAtMs = performance.now();
    const held = await this.hold(want, least, signal);
    return { vcpus: held.count, capacity: this.capacity, waitedMs: performance.now() - startedAtMs, release: held.release };
  }

  private hold(want: number, least: number, signal: AbortSignal | undefined): Promise<{ count: number; release: () => void }> {
    const key = `${this.dir}\0${this.capacity}\0${this.pollMs}`;
    const helper = takeIdleHelper(key) ?? new SlotHelper(this.dir, this.capacity, this.pollMs);
    return new Promise((resolve, reject) => {
      let settled = false;
      const onAbort = () => {
        helper.stop();
        finish(signal!.reason);
      };
      const finish = (outcome: { count: number; release: () => void } | unknown) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        if (outcome instanceof Object && 'release' in outcome) resolve(outcome as { count: number; release: () => void });
        else reject(outcome);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      helper.request(want, least, {
        held: (count) => {
          let released = false;
          const release = () => {
            if (released) return;
            released = true;
            if (helper.release()) idleHelpers.set(key, [...(idleHelpers.get(key) ?? []), helper]);
          };
          finish({ count, release });
        },
        gone: (error) => finish(error),
      });
    });
  }
}

/** Helpers whose slots were released, by slot dir, capacity and poll interval, for this process's next request. */
const idleHelpers = new Map<string, SlotHelper[]>();

function takeIdleHelper(key: string): SlotHelper | undefined {
  const idle = idleHelpers.get(key) ?? [];
  let helper: SlotHelper | undefined;
  // One that exited while idle (killed from outside) cannot serve: the next one, or a new one.
  while ((helper = idle.shift()) && helper.gone);
  return helper;
}

/** One helper process and the request it is serving. */
class SlotHelper {
  private readonly child: ChildProcessWithoutNullStreams;
  private out = '';
  private err = '';
  private serving: { held: (count: number) => void; gone: (error: SlotHelperError) => void } | undefined;
  gone = false;

  constructor(
    private readonly dir: string,
    capacity: number,
    pollMs: number,
  ) {
    this.child = spawn('bash', ['-c', helperScript, 'vcpu-slots', dir, String(capacity), String(pollMs / 1000)], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdin.on('error', () => undefined); // the helper gone before our end of the pipe: its exit says why
    this.child.stderr.on('data', (data: Buffer) => (this.err += data.toString()));
    this.child.on('error', (error) => this.ended(error.message));
    this.child.on('close', () => this.ended(this.err.trim() || this.out.trim()));
    this.child.stdout.on('data', (data: Buffer) => {
      this.out += data.toString();
      const line = /^held ([\d ]+)\n/.exec(this.out);
      if (!line) return;
      this.out = this.out.slice(line[0].length);
      // Held or idle, a helper must not keep this process alive; at its exit the pipe closes and the helper goes.
      this.keepProcessAlive(false);
      this.serving?.held(line[1]!.trim().split(' ').length);
    });
  }

  request(want: number, least: number, serving: NonNullable<SlotHelper['serving']>): void {
    this.serving = serving;
    // Waiting for slots is work in progress: it keeps the process alive, as any pending I/O does.
    this.keepProcessAlive(true);
    this.child.stdin.write(`${want} ${least}\n`);
  }

  /** Frees the slots; true when the helper can serve another request. */
  release(): boolean {
    this.serving = undefined;
    if (this.gone) return false;
    this.child.stdin.write('release\n');
    return true;
  }

  stop(): void {
    this.serving = undefined;
    // Closing stdin ends the helper (waiting or holding); the kill is for a helper stuck past that.
    this.child.stdin.end();
    this.child.kill('SIGTERM');
  }

  private ended(said: string): void {
    if (this.gone) return;
    this.gone = true;
    this.serving?.gone(new SlotHelperError(this.dir, said));
    this.serving = undefined;
  }

  private keepProcessAlive(yes: boolean): void {
    for (const handle of [this.child, this.child.stdin, this.child.stdout, this.child.stderr] as (Readable | Writable | ChildProcessWithoutNullStreams)[]) {
      const refs = handle as unknown as { ref?: () => void; unref?: () => void };
      if (yes) refs.ref?.();
      else refs.unref?.();
    }
  }
}
