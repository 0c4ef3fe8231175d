import { describe, expect, it } from 'vitest';
import {
  defaultImageCheck,
  fixtureCommands,
  fixtureFiles,
  fixtureHostPackages,
  fixtureToolsCheck,
} from '../../../harness/doctor/checks/fixture-checks.ts';
import type { FakeSetup } from './fake-doctor-environment.ts';
import { fakeEnvironment, runCheck } from './fake-doctor-environment.ts';

const script = '/work/scripts/build-fixture';
const dpkgQuery = `dpkg-query -W -f=\${Package} \${db:Status-Abbrev}\\n ${fixtureHostPackages.join(' ')}`;

function hostWithTools(overrides: { without?: string[]; check?: { exitCode: number; stdout?: string; stderr?: string } } = {}): FakeSetup {
  const without = new Set(overrides.without ?? []);
  const executables = Object.fromEntries(Object.keys(fixtureCommands).filter((name) => !without.has(name)).map((name) => [name, `/usr/bin/${name}`]));
  const stats = Object.fromEntries(Object.keys(fixtureFiles).filter((file) => !without.has(file)).map((file) => [file, { kind: 'file' as const }]));
  const installed = fixtureHostPackages.filter((pkg) => !without.has(pkg)).map((pkg) => `${pkg} ii \n`).join('');
  const setup: FakeSetup = { executables, stats: { ...stats, [script]: { kind: 'file' } }, commands: { [dpkgQuery]: { stdout: installed, exitCode: without.size ? 1 : 0 } } };
  if (overrides.check) setup.commands![`${script} --check`] = overrides.check;
  else delete setup.stats![script];
  return setup;
}

describe('fixture.tools', () => {
  it('passes with every tool, file and package present', async () => {
    expect((await runCheck(fixtureToolsCheck, fakeEnvironment(hostWithTools()))).status).toBe('pass');
  });

  it('fails naming what is missing and the packages to install', async () => {
    const env = fakeEnvironment(hostWithTools({ without: ['xorriso', '/usr/lib/ISOLINUX/isolinux.bin', 'libtomcrypt1'] }));
    const result = await runCheck(fixtureToolsCheck, env);
    expect(result.status).toBe('fail');
    expect(result.seen).toBe('missing /usr/lib/ISOLINUX/isolinux.bin, package libtomcrypt1, xorriso');
    expect(result.fix).toBe('apt-get install -y --no-install-recommends isolinux libtomcrypt1 xorriso');
  });

  it('only warns when the current build needs none of the missing tools', async () => {
    const env = fakeEnvironment(hostWithTools({ without: ['xorriso'], check: { exitCode: 0, stdout: 'build-fixture: up to date (/c)\n' } }));
    expect((await runCheck(fixtureToolsCheck, env)).status).toBe('warn');
  });
});

describe('fixture.image', () => {
  it('passes when build-fixture --check exits 0', async () => {
    const env = fakeEnvironment(hostWithTools({ check: { exitCode: 0, stdout: 'build-fixture: up to date (/c/fixtures/default, inputs abc)\n' } }));
    expect(await runCheck(defaultImageCheck, env)).toMatchObject({ status: 'pass', seen: 'up to date (/c/fixtures/default, inputs abc)' });
  });

  it('warns with the stale reason when it exits 1', async () => {
    const env = fakeEnvironment(hostWithTools({ check: { exitCode: 1, stderr: 'build-fixture: stale: inputs hash abc != def\n' } }));
    const result = await runCheck(defaultImageCheck, env);
    expect(result).toMatchObject({ status: 'warn', seen: 'not current: stale: inputs hash abc != def' });
    expect(result.fix).toContain('scripts/build-fixture');
  });

  it('skips when the script is absent', async () => {
    expect((await runCheck(defaultImageCheck, fakeEnvironment())).status).toBe('skip');
  });

  it('runs build-fixture --check once for both checks', async () => {
    const env = fakeEnvironment(hostWithTools({ without: ['cpio'], check: { exitCode: 1, stderr: 'missing\n' } }));
    const { fakeContext } = await import('./fake-doctor-environment.ts');
    const context = fakeContext(env);
    await Promise.all([fixtureToolsCheck.run(context), defaultImageCheck.run(context)]);
    expect(env.calls.filter((call) => call.endsWith('--check'))).toHaveLength(1);
  });
});
