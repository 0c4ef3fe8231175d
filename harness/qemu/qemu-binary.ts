// Finds qemu-system-x86_64 (HARNESS_QEMU, else PATH) and reads its version.
import { access, constants, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { HarnessError } from '../errors.ts';
import { cacheRecordFormat, type DiskCache } from '../util/cache-record.ts';
import { stampFile } from '../util/file-stamp.ts';
import { FileStampMemo } from '../util/file-stamp-memo.ts';
import { runProcess } from '../util/short-process.ts';

export const qemuBinaryName = 'qemu-system-x86_64';

export class QemuNotFoundError extends HarnessError {
  override readonly name = 'QemuNotFoundError';
  constructor(
    readonly searched: string,
    readonly fromEnv: boolean,
  ) {
    super(
      fromEnv
        ? `HARNESS_QEMU points at ${searched}, which is not an executable file`
        : `${qemuBinaryName} not found on PATH`,
      fromEnv
        ? 'Fix: set HARNESS_QEMU to the path of qemu-system-x86_64, or unset it to search PATH.'
        : 'Fix: apt-get install -y --no-install-recommends qemu-system-x86 (or set HARNESS_QEMU).',
    );
  }
}

export interface QemuVersion {
  major: number;
  minor: number;
  micro: number;
  /** The whole first line, e.g. `QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)`. */
  text: string;
}

/** Pure: parses the first line of `qemu-system-x86_64 --version`. */
export function parseQemuVersion(output: string): QemuVersion | undefined {
  const line = output.split('\n').find((candidate) => /QEMU emulator version/i.test(candidate));
  const match = line ? /version\s+(\d+)\.(\d+)(?:\.(\d+))?/i.exec(line) : null;
  if (!line || !match) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]), micro: Number(match[3] ?? 0), text: line.trim() };
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return false;
    await access(path, constants.X_OK);
    return true;
  } catch {
    // Not there, or not executable by us: not a candidate on PATH.
    return false;
  }
}

/** Searches PATH like a shell would; undefined when not found. */
export async function whichExecutable(name: string, pathVariable: string | undefined): Promise<string | undefined> {
  if (name.includes('/')) return (await isExecutableFile(name)) ? resolve(name) : undefined;
  for (const dir of (pathVariable ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** HARNESS_QEMU wins over PATH; throws QemuNotFoundError naming where it looked. */
export async function locateQemuBinary(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): Promise<string> {
  const fromEnv = env.HARNESS_QEMU;
  if (fromEnv) {
    const path = isAbsolute(fromEnv) || fromEnv.includes('/') ? resolve(cwd, fromEnv) : fromEnv;
    const found = path.includes('/') ? ((await isExecutableFile(path)) ? path : undefined) : await whichExecutable(path, env.PATH);
    if (!found) throw new QemuNotFoundError(fromEnv, true);
    return found;
  }
  const found = await whichExecutable(qemuBinaryName, env.PATH);
  if (!found) throw new QemuNotFoundError(qemuBinaryName, false);
  return found;
}

/** Versions by the binary's stamp (path, device, inode, size, mtime, ctime): the same file answers the same. */
const versions = new FileStampMemo({
  dirName: 'qemu-versions',
  format: cacheRecordFormat({ version: 1, keyField: 'file', fields: { major: 'number', minor: 'number', micro: 'number', text: 'string' } }),
  keepNewest: 64,
});

/** What a new process starts with: no version in memory (for tests). */
export function forgetQemuVersions(): void {
  versions.forget();
}

/**
 * `<binary> --version`, run once per binary file (each run is a QEMU start, ~20-40 ms, a fork of a big
 * node process): remembered in this process, and in `cache.cacheDir` for later ones. A replaced binary
 * is a new file: asked again. A run that failed (a timeout on a busy host) is not an answer to keep.
 */
export async function qemuVersionOf(qemuBinary: string, cache: DiskCache = { cacheDir: undefined }): Promise<QemuVersion | undefined> {
  const stamped = await stampFile(qemuBinary, cache.wallNowMs).catch(() => undefined); // no file to key by: ask it directly, uncached
  if (!stamped) return readQemuVersion(qemuBinary);
  return versions.valueOf(stamped, cache, () => readQemuVersion(qemuBinary));
}

/** Runs `<binary> --version`; undefined when it cannot be run or parsed. */
export async function readQemuVersion(qemuBinary: string, timeoutMs = 5_000): Promise<QemuVersion | undefined> {
  const run = await runProcess(qemuBinary, ['--version'], { timeoutMs });
  return parseQemuVersion(run.stdout);
}
