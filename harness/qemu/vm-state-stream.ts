// A running guest's RAM and device state written to a file as a migration stream, and read back at the
// start of another QEMU (`-incoming fd:N`, the file inherited read-only, see vm-spec.ts). Measured against
// `savevm`/`-loadvm` into a qcow2 drive (QEMU 7.2, TCG, the default image's 113 MB of state): the stream
// loads in ~110 ms from a descriptor (~220 ms through `exec:cat`) against ~320 ms, and being only read,
// it needs no per-restore copy of the drive (another ~50 ms).
import { HarnessError } from '../errors.ts';
import type { QmpClient } from './qmp-client.ts';
import { sleep } from '../util/clock.ts';
import { Deadline } from '../util/deadline.ts';

/** QEMU runs an `exec:` migration URI with /bin/sh -c: the path is one single-quoted word. */
function shellWord(path: string): string {
  return `'${path.replaceAll("'", `'\\''`)}'`;
}

interface MigrationStatus {
  status?: string;
  'error-desc'?: string;
}

/**
 * Writes the running guest's state to `path` and leaves it paused; resolves once the stream is complete.
 * Not paused first: the stream records the run state, and a guest saved paused would stay paused after
 * `cont` on the restoring side.
 */
export async function saveVmState(qmp: QmpClient, path: string, timeoutMs = 120_000): Promise<void> {
  // The default bandwidth cap (128 MiB/s) is for live migration over a network; this is a local file.
  await qmp.execute('migrate-set-parameters', { 'max-bandwidth': 64 * 1024 * 1024 * 1024 });
  await qmp.execute('migrate', { uri: `exec:cat > ${shellWord(path)}` });
  await untilMigrationCompleted(qmp, timeoutMs, 20, {
    failed: (why) => new HarnessError(`saving the guest's state to ${path} failed: ${why}`, 'Fix: check that the folder is writable and has room for the guest memory.'),
    late: (status) => new HarnessError(`saving the guest's state to ${path} did not finish in ${timeoutMs} ms (status ${status})`),
  });
}

/**
 * Waits until a QEMU started with `-incoming` has loaded the saved state. Until then nothing may reach the
 * guest's devices: loading the serial port's state overwrites what was typed meanwhile (measured: the
 * first byte of the shell takeover was lost when `cont` and the typing came before the load ended).
 */
export async function waitForIncomingState(qmp: QmpClient, timeoutMs = 60_000): Promise<void> {
  // Polled: QEMU reports an incoming migration's end as an event only with a capability set before it starts.
  await untilMigrationCompleted(qmp, timeoutMs, 5, {
    failed: (why) => new HarnessError(`loading the saved guest state failed: ${why}`, 'Fix: the snapshot may be from another QEMU or machine: delete its folder to have it saved again.'),
    late: (status) => new HarnessError(`loading the saved guest state did not finish in ${timeoutMs} ms (status ${status})`),
  });
}

/** Polls `query-migrate` every `intervalMs` until the migration (either way) completes; the errors say which. */
async function untilMigrationCompleted(
  qmp: QmpClient,
  timeoutMs: number,
  intervalMs: number,
  errors: { failed: (why: string) => HarnessError; late: (status: string) => HarnessError },
): Promise<void> {
  const deadline = Deadline.after(timeoutMs);
  for (;;) {
    const state = await qmp.execute<MigrationStatus>('query-migrate');
    if (state.status === 'completed') return;
    if (state.status === 'failed' || state.status === 'cancelled') throw errors.failed(state['error-desc'] ?? state.status);
    if (deadline.expired) throw errors.late(state.status ?? 'unknown');
    await sleep(intervalMs);
  }
}
