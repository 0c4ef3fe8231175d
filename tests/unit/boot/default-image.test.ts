import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HarnessError } from '../../../harness/errors.ts';
import {
  DefaultImageMissingError,
  defaultImageDir,
  locateDefaultImage,
} from '../../../harness/boot/default-image.ts';

let cacheDir: string;
let imageDir: string;

beforeEach(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'default-image-'));
  imageDir = join(cacheDir, 'fixtures', 'default');
  await mkdir(imageDir, { recursive: true });
});

afterEach(async () => {
  await rm(cacheDir, { recursive: true, force: true });
});

async function writeImage(overrides: Record<string, unknown> = {}, files = ['vmlinuz', 'initrd.img', 'default.iso']) {
  for (const file of files) await writeFile(join(imageDir, file), `contents of ${file}`);
  const manifest = {
    flavour: 'default',
    inputsHash: 'abc123',
    kernel: join(imageDir, 'vmlinuz'),
    initrd: join(imageDir, 'initrd.img'),
    iso: join(imageDir, 'default.iso'),
    kernelVersion: '6.1.0-56-cloud-amd64',
    builtAt: '2026-11-23T09:24:15Z',
    sizes: { kernel: 1, initrd: 1, iso: 1 },
    ...overrides,
  };
  await writeFile(join(imageDir, 'manifest.json'), JSON.stringify(manifest, null, 2));
}

async function missingReason(promise: Promise<unknown>): Promise<DefaultImageMissingError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(DefaultImageMissingError);
  return error as DefaultImageMissingError;
}

describe('locateDefaultImage', () => {
  it('returns the paths and metadata of a complete build', async () => {
    await writeImage();
    const image = await locateDefaultImage({ cacheDir });
    expect(image).toEqual({
      flavour: 'default',
      kernel: join(imageDir, 'vmlinuz'),
      initrd: join(imageDir, 'initrd.img'),
      iso: join(imageDir, 'default.iso'),
      kernelVersion: '6.1.0-56-cloud-amd64',
      inputsHash: 'abc123',
    });
  });

  it('looks under <repoRoot>/.cache when no cache dir is given', async () => {
    const repoRoot = join(cacheDir, 'repo');
    const repoImageDir = join(repoRoot, '.cache', 'fixtures', 'default');
    await mkdir(repoImageDir, { recursive: true });
    imageDir = repoImageDir;
    await writeImage();
    expect(defaultImageDir({ repoRoot, env: {} })).toBe(repoImageDir);
    expect((await locateDefaultImage({ repoRoot, env: {} })).kernel).toBe(join(repoImageDir, 'vmlinuz'));
  });

  it('honours HARNESS_CACHE_DIR when no cache dir is given', async () => {
    await writeImage();
    // Read from the environment the caller gives, at the call: no process.env to set and restore.
    expect((await locateDefaultImage({ repoRoot: '/nonexistent', env: { HARNESS_CACHE_DIR: cacheDir } })).iso).toBe(join(imageDir, 'default.iso'));
  });

  it('finds the files next to the manifest when the cache was moved after the build', async () => {
    await writeImage({
      kernel: '/old/place/vmlinuz',
      initrd: '/old/place/initrd.img',
      iso: '/old/place/default.iso',
    });
    const image = await locateDefaultImage({ cacheDir });
    expect(image.kernel).toBe(join(imageDir, 'vmlinuz'));
    expect(image.iso).toBe(join(imageDir, 'default.iso'));
  });

  it('says how to build the image when there is no manifest', async () => {
    const error = await missingReason(locateDefaultImage({ cacheDir }));
    expect(error).toBeInstanceOf(HarnessError);
    expect(error.cacheDir).toBe(cacheDir);
    expect(error.imageDir).toBe(imageDir);
    expect(error.reason).toBe('manifest.json not found');
    expect(error.message).toContain('scripts/build-fixture');
    expect(error.message).toContain('npm run setup');
  });

  it('rejects a manifest that is not JSON', async () => {
    await writeFile(join(imageDir, 'manifest.json'), '{"flavour": ');
    expect((await missingReason(locateDefaultImage({ cacheDir }))).reason).toBe('manifest.json is not valid JSON');
  });

  it('rejects a manifest without a required field', async () => {
    await writeImage({ kernelVersion: undefined });
    expect((await missingReason(locateDefaultImage({ cacheDir }))).reason).toBe(
      'manifest.json has no "kernelVersion" string',
    );
  });

  it('rejects a manifest of another flavour', async () => {
    await writeImage({ flavour: 'systemd' });
    expect((await missingReason(locateDefaultImage({ cacheDir }))).reason).toContain('flavour "systemd"');
  });

  it('names the file that is missing', async () => {
    await writeImage({}, ['vmlinuz', 'initrd.img']);
    const error = await missingReason(locateDefaultImage({ cacheDir }));
    expect(error.reason).toBe(`iso: ${join(imageDir, 'default.iso')} does not exist or is empty`);
  });

  it('treats an empty file as missing (an interrupted copy)', async () => {
    await writeImage();
    await writeFile(join(imageDir, 'initrd.img'), '');
    expect((await missingReason(locateDefaultImage({ cacheDir }))).reason).toMatch(/^initrd: /);
  });

  it('reports a missing cache folder the same way', async () => {
    await rm(imageDir, { recursive: true });
    expect((await missingReason(locateDefaultImage({ cacheDir }))).reason).toBe('manifest.json not found');
  });
});
