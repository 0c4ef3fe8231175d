// Pay for a boot once: save a booted guest at its shell prompt, then start each test from a copy of that
// state. Snapshots are cached per image identity + VM options and rebuilt when either changes; every
// restore writes to its own copy of the drives, so no two runs share a writable overlay.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { qemuVersionOf } from '../qemu/qemu-binary.ts';
import { type BootOptions, type BootPlan, type RestorePoint, resolveBootOptions } from '../boot/boot-options.ts';
import type { BootedVm, BootHooks } from '../boot/booted-vm.ts';
// The recorded boot: a save and each restore are runs with their own reports, as before.
import { bootVm } from './boot-vm.ts';
import { vmStateFile } from '../boot/machine-recipe.ts';
import { stampFile } from '../util/file-stamp.ts';

/** Bumped when what a snapshot holds, how it is restored, or how its key is made changes. */
const snapshotFormat = 4;

interface SnapshotMeta extends RestorePoint {
  fingerprint: string;
  createdAt: string;
  savedFrom: string;
}

/**
 * Everything that must be equal for a saved state to be restorable: image files (by their stamp, so a
 * same-size rewrite that puts mtime back, cp -p or touch -r, is another image) and the machine's options.
 */
export async function snapshotFingerprint(plan: BootPlan): Promise<string> {
  const files: Record<string, unknown> = {};
  const identify = async (label: string, path: string | undefined) => {
    if (!path) return;
    files[label] = (await stampFile(path)).stamp;
  };
  if (plan.source.kind === 'iso') await identify('iso', plan.source.iso);
  if (plan.source.kind === 'kernel') {
    await identify('kernel', plan.source.kernel);
    await identify('initrd', plan.source.initrd);
  }
  for (const [index, disk] of plan.disks.entries()) if (disk.kind === 'file') await identify(`disk${index}`, disk.path);
  const qemuVersion = (await qemuVersionOf(plan.qemuBinary, { cacheDir: plan.cacheDir }))?.text ?? 'unknown';
  const material = {
    snapshotFormat,
    qemu: { binary: plan.qemuBinary, version: qemuVersion },
    source: plan.source,
    files,
    disks: plan.disks,
    memoryMiB: plan.memoryMiB,
    cpus: plan.cpus,
    accel: plan.accel,
    network: plan.network,
    keyInjection: plan.keyInjection,
    firmware: plan.firmware,
    credentials: plan.credentials,
    sshKeyPath: plan.sshKeyPath,
    login: plan.login,
    extraQemuArgs: plan.extraQemuArgs,
  };
  return createHash('sha256').update(JSON.stringify(material)).digest('hex').slice(0, 32);
}

/** The cached restore point for `options`, saved first if there is none or it is stale. */
export async function snapshotFor(options: BootOptions, hooks: BootHooks = {}): Promise<RestorePoint> {
  const plan = await resolveBootOptions({ ...options, restoreFrom: undefined });
  const fingerprint = await snapshotFingerprint(plan);
  const root = join(plan.cacheDir, 'snapshots');
  const dir = join(root, fingerprint);
  const cached = await readMeta(dir);
  if (cached?.fingerprint === fingerprint) return cached;

  await rm(dir, { recursive: true, force: true });
  await mkdir(root, { recursive: true, mode: 0o700 });
  // Saved into a temp folder and renamed: a crash mid-save never leaves a half snapshot to restore.
  const staging = await mkdtemp(join(root, `.staging-${fingerprint}-`));
  try {
    const vm = await bootVm({ ...options, snapshotable: true, restoreFrom: undefined, name: options.name ?? `snapshot-${fingerprint.slice(0, 8)}` }, hooks);
    let point: RestorePoint;
    try {
      point = await vm.saveSnapshot(staging);
    } catch (error) {
      await vm.stop(error);
      throw error;
    }
    const meta: SnapshotMeta = { ...point, dir, privateKeyPath: join(dir, 'id_ed25519'), fingerprint, createdAt: new Date().toISOString(), savedFrom: vm.logDir };
    await writeFile(join(staging, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`, { mode: 0o600 });
    await rename(staging, dir).catch(async (error: NodeJS.ErrnoException) => {
      // Another process saved the same snapshot first: theirs is as good as ours.
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
      await rm(staging, { recursive: true, force: true });
    });
    return (await readMeta(dir)) ?? meta;
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}

/** A fresh guest restored from the snapshot of `options` (saved first when needed). */
export async function restoreVm(options: BootOptions, hooks: BootHooks = {}): Promise<BootedVm> {
  const point = await snapshotFor(options, hooks);
  return bootVm({ ...options, restoreFrom: point }, hooks);
}

async function readMeta(dir: string): Promise<SnapshotMeta | undefined> {
  try {
    const meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as SnapshotMeta;
    return existsSync(meta.privateKeyPath) && existsSync(join(dir, vmStateFile)) ? meta : undefined;
  } catch {
    // No usable snapshot (none yet, or a half-written one): the caller boots and saves a fresh one.
    return undefined;
  }
}
