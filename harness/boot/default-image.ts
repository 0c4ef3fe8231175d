// Finds the default boot image that `scripts/build-fixture` builds into the cache. It only reads the
// manifest and checks the files are there; whether the build is current is `build-fixture --check`'s job.
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HarnessError } from '../errors.ts';
import { defaultRepoRoot } from './repo-root.ts';

export interface DefaultImage {
  flavour: string;
  /** Absolute path of the kernel (`vmlinuz`) for direct boots. */
  kernel: string;
  /** Absolute path of the initramfs (`initrd.img`) for direct boots. */
  initrd: string;
  /** Absolute path of the hybrid isolinux ISO (`default.iso`). */
  iso: string;
  kernelVersion: string;
  inputsHash: string;
}

export interface LocateDefaultImageOptions {
  /** Cache root (what `HARNESS_CACHE_DIR` sets); the image lives in `<cacheDir>/fixtures/default`. */
  cacheDir?: string;
  /** Repository root, used for the default cache root `<repoRoot>/.cache`. */
  repoRoot?: string;
  /** Which fixture image: `default` (busybox) or `systemd` (Debian 12 with systemd, built by `scripts/build-fixture --flavour systemd`). */
  flavour?: FixtureFlavour;
  /** Where `HARNESS_CACHE_DIR` is read when `cacheDir` is not given, at each call (default: this process's environment). */
  env?: NodeJS.ProcessEnv;
}

export type FixtureFlavour = 'default' | 'systemd';

export class DefaultImageMissingError extends HarnessError {
  override readonly name = 'DefaultImageMissingError';
  constructor(
    /** Cache root that was searched. */
    readonly cacheDir: string,
    /** Folder that should hold the image and its manifest. */
    readonly imageDir: string,
    /** What is missing or wrong, e.g. `manifest.json not found`. */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      `default boot image not usable: ${reason}`,
      `Looked in ${imageDir}.\nFix: run \`scripts/build-fixture${basename(imageDir) === 'default' ? '' : ` --flavour=${basename(imageDir)}`}\` (or \`npm run setup\`) to build it.`,
      options,
    );
  }
}

const MANIFEST = 'manifest.json';
const FILE_FIELDS = ['kernel', 'initrd', 'iso'] as const;
const STRING_FIELDS = ['flavour', 'kernelVersion', 'inputsHash', ...FILE_FIELDS] as const;

export { defaultRepoRoot };

export function defaultImageDir(options: LocateDefaultImageOptions = {}): string {
  return join(resolveCacheDir(options), 'fixtures', 'default');
}

function resolveCacheDir(options: LocateDefaultImageOptions): string {
  if (options.cacheDir !== undefined) return resolve(options.cacheDir);
  const fromEnv = (options.env ?? process.env)['HARNESS_CACHE_DIR'];
  if (fromEnv) return resolve(fromEnv);
  return join(options.repoRoot ?? defaultRepoRoot(), '.cache');
}

export async function locateDefaultImage(options: LocateDefaultImageOptions = {}): Promise<DefaultImage> {
  const cacheDir = resolveCacheDir(options);
  const flavour = options.flavour ?? 'default';
  const imageDir = join(cacheDir, 'fixtures', flavour);
  const missing = (reason: string, cause?: unknown): DefaultImageMissingError =>
    new DefaultImageMissingError(cacheDir, imageDir, reason, cause === undefined ? undefined : { cause });

  const manifestPath = join(imageDir, MANIFEST);
  let text: string;
  try {
    text = await readFile(manifestPath, 'utf8');
  } catch (error) {
    throw missing(`${MANIFEST} not found`, error);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw missing(`${MANIFEST} is not valid JSON`, error);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw missing(`${MANIFEST} is not a JSON object`);
  }
  const manifest = parsed as Record<string, unknown>;
  const fields: Partial<Record<(typeof STRING_FIELDS)[number], string>> = {};
  for (const field of STRING_FIELDS) {
    const value = manifest[field];
    if (typeof value !== 'string' || value === '') {
      throw missing(`${MANIFEST} has no "${field}" string`);
    }
    fields[field] = value;
  }
  if (fields.flavour !== flavour) {
    throw missing(`${MANIFEST} describes flavour "${fields.flavour}", expected "${flavour}"`);
  }

  const files: Record<(typeof FILE_FIELDS)[number], string> = { kernel: '', initrd: '', iso: '' };
  for (const field of FILE_FIELDS) {
    files[field] = await existingFile(imageDir, fields[field] ?? '', (reason) => missing(`${field}: ${reason}`));
  }
  return {
    flavour,
    kernel: files.kernel,
    initrd: files.initrd,
    iso: files.iso,
    kernelVersion: fields.kernelVersion ?? '',
    inputsHash: fields.inputsHash ?? '',
  };
}

// The manifest records absolute paths; when the cache folder has been moved since the build, the file of
// the same name next to the manifest is the one meant.
async function existingFile(
  imageDir: string,
  recorded: string,
  fail: (reason: string) => DefaultImageMissingError,
): Promise<string> {
  const candidates = [isAbsolute(recorded) ? recorded : resolve(imageDir, recorded), join(imageDir, basename(recorded))];
  for (const candidate of candidates) {
    // Each candidate that cannot be stat'ed is not usable; the error below names the recorded path.
    const info = await stat(candidate).catch(() => undefined);
    if (info?.isFile() && info.size > 0) return candidate;
  }
  throw fail(`${recorded} does not exist or is empty`);
}
