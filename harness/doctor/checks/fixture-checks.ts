// The default image: the host tools scripts/build-fixture needs, and whether its cached build is current.
import { join } from 'node:path';
import { finding, type DoctorCheck, type DoctorContext } from '../doctor-check.ts';
import type { RunResult } from '../doctor-environment.ts';

/** Commands scripts/build-fixture runs, with the Debian package providing each. */
export const fixtureCommands: Record<string, string> = {
  'apt-get': 'apt',
  'apt-cache': 'apt',
  'dpkg-deb': 'dpkg',
  'dpkg-query': 'dpkg',
  depmod: 'kmod',
  modprobe: 'kmod',
  cpio: 'cpio',
  xorriso: 'xorriso',
  gzip: 'gzip',
  ldd: 'libc-bin',
  flock: 'util-linux',
  sha256sum: 'coreutils',
};

/** Files it copies into the ISO. */
export const fixtureFiles: Record<string, string> = {
  '/usr/lib/ISOLINUX/isolinux.bin': 'isolinux',
  '/usr/lib/ISOLINUX/isohdpfx.bin': 'isolinux',
  '/usr/lib/syslinux/modules/bios/ldlinux.c32': 'syslinux-common',
};

/** Host packages whose libraries go into the image next to dropbear (busybox and dropbear come from apt). */
export const fixtureHostPackages = ['libc6', 'zlib1g', 'libcrypt1', 'libtomcrypt1', 'libtommath1', 'libgmp10', 'isolinux', 'syslinux-common'];

function buildFixturePath(context: DoctorContext): string {
  return join(context.options.projectDir, 'scripts', 'build-fixture');
}

/** `scripts/build-fixture --check`, run once and shared by both fixture checks; undefined when the script is absent. */
function fixtureStatus(context: DoctorContext): Promise<RunResult | undefined> {
  return context.memo('build-fixture --check', async () => {
    const script = buildFixturePath(context);
    if (!(await context.env.access(script, 'x'))) return undefined;
    return context.env.run(script, ['--check'], { timeoutMs: 15_000, cwd: context.options.projectDir });
  });
}

export const fixtureToolsCheck: DoctorCheck = {
  id: 'fixture.tools',
  title: 'Tools to build the default image',
  timeoutMs: 20_000,
  async run(context) {
    const { env } = context;
    const command = `command -v ${Object.keys(fixtureCommands).join(' ')}; ls ${Object.keys(fixtureFiles).join(' ')}; dpkg-query -W ${fixtureHostPackages.join(' ')}`;
    const why = 'scripts/build-fixture builds the default image (kernel, initramfs, isolinux ISO) from these.';
    const missingPackages = new Set<string>();
    const missing: string[] = [];
    await Promise.all([
      ...Object.entries(fixtureCommands).map(async ([name, pkg]) => {
        if (!(await env.which(name))) {
          missing.push(name);
          missingPackages.add(pkg);
        }
      }),
      ...Object.entries(fixtureFiles).map(async ([file, pkg]) => {
        if ((await env.stat(file))?.kind !== 'file') {
          missing.push(file);
          missingPackages.add(pkg);
        }
      }),
    ]);
    if (!missingPackages.has('dpkg')) {
      const query = await env.run('dpkg-query', ['-W', '-f=${Package} ${db:Status-Abbrev}\\n', ...fixtureHostPackages], { timeoutMs: 5_000 });
      // Removed packages keep a database entry (`rc`); only `ii` means installed.
      const installed = new Set(query.stdout.split('\n').filter((line) => / ii/.test(line)).map((line) => line.split(' ')[0]));
      for (const pkg of fixtureHostPackages) {
        if (!installed.has(pkg)) {
          missing.push(`package ${pkg}`);
          missingPackages.add(pkg);
        }
      }
    }
    if (!missing.length) {
      return finding('pass', `${Object.keys(fixtureCommands).length} commands, isolinux files and host packages present`, command, why);
    }
    const fix = `apt-get install -y --no-install-recommends ${[...missingPackages].sort().join(' ')}`;
    const seen = `missing ${missing.sort().join(', ')}`;
    // With a current build nothing needs building: missing tools only matter on the next change.
    const status = await fixtureStatus(context);
    return status?.exitCode === 0 ? finding('warn', `${seen} (the current build needs none of them)`, command, why, fix) : finding('fail', seen, command, why, fix);
  },
};

export const defaultImageCheck: DoctorCheck = {
  id: 'fixture.image',
  title: 'Default image built and current',
  timeoutMs: 20_000,
  async run(context) {
    const command = 'scripts/build-fixture --check';
    const why = '`harness boot` without an image option, npm run boot and the boot suite use the default image.';
    const status = await fixtureStatus(context);
    if (!status) return finding('skip', `${buildFixturePath(context)} not found`, command, why);
    const said = [status.stdout, status.stderr].join('\n').split('\n').map((line) => line.replace(/^build-fixture: /, '').trim()).filter(Boolean);
    if (status.exitCode === 0) return finding('pass', said.at(-1) ?? 'up to date', command, why);
    const reason = status.timedOut ? 'no answer after 15000 ms' : (said.at(-1) ?? `exit ${status.exitCode ?? status.spawnError}`);
    return finding('warn', `not current: ${reason}`, command, why, 'Run scripts/build-fixture (scripts/setup runs it).');
  },
};
