// Host-wide vCPU slots: every harness process on this machine (vitest workers, several CLIs) shares one
// pool of slots, one per host core, and a booting guest holds one slot per vCPU. A slot is an flock(2)
// on `<dir>/vcpu-<n>.lock`, held by a small helper process that lives until we close its stdin: the
// kernel drops the locks when the helper exits, so a holder that was SIGKILLed frees its slots at once
// (its stdin closes with it), and no lock file ever needs cleaning up.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { HarnessError } from '../errors.ts';

/**
 * Locks `want` of the `capacity` slot files (at least `least`), trying again every `poll` seconds until it
 * can, prints `held <n>...` and keeps them until stdin ends. It waits itself, on stdin: a wait costs no
 * process of ours per try (each try was a spawn of this helper, ~4 ms of our CPU, 4 a second for as long as
 * another boot held the slots), and the caller giving up (stdin closed) ends it at once.
 */
const helperScript = `
dir=$1; capacity=$2; want=$3; least=$4; poll=$5
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
while read -r _; do :; done
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
    const child: ChildProcessWithoutNullStreams = spawn('bash', ['-c', helperScript, 'vcpu-slots', this.dir, String(this.capacity), String(want), String(least), String(this.pollMs / 1000)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stop = () => {
      // Closing stdin ends the helper (waiting or holding); the kill is for a helper stuck past that.
      child.stdin.end();
      child.kill('SIGTERM');
    };
    return new Promise((resolve, reject) => {
      let out = '';
      let err = '';
      let settled = false;
      const onAbort = () => {
        stop();
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
      child.stdin.on('error', () => undefined); // the helper gone before our end of the pipe: its exit says why
      child.stderr.on('data', (data: Buffer) => (err += data.toString()));
      child.on('error', (error) => finish(new SlotHelperError(this.dir, error.message)));
      child.on('close', () => finish(new SlotHelperError(this.dir, err.trim() || out.trim())));
      child.stdout.on('data', (data: Buffer) => {
        out += data.toString();
        const line = /^held ([\d ]+)\n/.exec(out);
        if (!line) return;
        let released = false;
        const release = () => {
          if (released) return;
          released = true;
          stop();
        };
        // Held slots must not keep this process alive; at its exit the pipe closes and the helper goes.
        child.unref();
        unrefStream(child.stdin);
        unrefStream(child.stdout);
        unrefStream(child.stderr);
        finish({ count: line[1]!.trim().split(' ').length, release });
      });
    });
  }
}

function unrefStream(stream: Readable | Writable): void {
  (stream as unknown as { unref?: () => void }).unref?.();
}
