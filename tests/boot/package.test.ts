// `npm pack` yields a usable package: the tarball, unpacked into a fresh project with only its declared
// dependencies (no network: they are linked from this repo's node_modules), type-checks a strict example
// against its declarations and boots the default image through it with plain `node`, no tsx.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = join(import.meta.dirname, '../..');
const tsc = join(root, 'node_modules/typescript/bin/tsc');

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function exec(file: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(file, args, { cwd: options.cwd, env: options.env ?? process.env, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? String(error) };
  }
}

/** Environment without the repo's own tsx hooks or HARNESS_* settings leaking into the consumer project. */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('HARNESS_') || key === 'NODE_OPTIONS' || key.startsWith('VITEST') || key === 'TSX_TSCONFIG_PATH') continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

const example = `import { bootVm, type BootedVm } from 'boot-harness';

const runName = process.argv[2] ?? 'packed-package';
await using vm: BootedVm = await bootVm({ name: runName });
const uname: string = await vm.shell.succeed('uname -s');
process.stdout.write(JSON.stringify({ uname, logDir: vm.logDir, qemuPid: vm.qemuPid }) + '\\n');
`;

// Proves the declarations are real types, not \`any\`: this must not compile.
const misuse = `import { bootVm } from 'boot-harness';

await bootVm({ memoryMiB: 'lots' });
`;

let work: string;
let project: string;
let packageDir: string;
let packed: { filename: string; files: { path: string }[] };

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'package-test-'));
  const pack = await exec('npm', ['pack', '--json', '--pack-destination', work], { cwd: root, timeoutMs: 300_000 });
  expect(pack.code, `npm pack failed:\n${pack.stderr}`).toBe(0);
  packed = (JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as (typeof packed)[])[0]!;

  project = join(work, 'project');
  packageDir = join(project, 'node_modules', 'boot-harness');
  await mkdir(join(project, 'node_modules'), { recursive: true });
  const untar = await exec('tar', ['-xzf', join(work, packed.filename), '-C', join(project, 'node_modules')], { cwd: work });
  expect(untar.code, untar.stderr).toBe(0);
  await rm(packageDir, { recursive: true, force: true });
  await run('mv', [join(project, 'node_modules', 'package'), packageDir]);

  // Only what the packed package.json declares, so an undeclared import fails here. tsx is a dev
  // dependency: the packed `harness` command and library run from dist/ without it.
  const manifest = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  expect(Object.keys(manifest.dependencies)).not.toContain('tsx');
  for (const name of Object.keys(manifest.dependencies)) {
    const link = join(packageDir, 'node_modules', name);
    await mkdir(dirname(link), { recursive: true });
    await symlink(join(root, 'node_modules', name), link);
  }
  // The consumer's own dev dependency for its types (process, Buffer).
  await mkdir(join(project, 'node_modules', '@types'), { recursive: true });
  await symlink(join(root, 'node_modules', '@types', 'node'), join(project, 'node_modules', '@types', 'node'));

  await writeFile(join(project, 'package.json'), `${JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2)}\n`);
  const compilerOptions = {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    lib: ['ES2023', 'ESNext.Disposable'],
    types: ['node'],
    strict: true,
    // The package's own .d.ts files are checked too.
    skipLibCheck: false,
  };
  await writeFile(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['example.ts'] }, null, 2));
  await writeFile(join(project, 'tsconfig.misuse.json'), JSON.stringify({ compilerOptions: { ...compilerOptions, noEmit: true }, files: ['misuse.ts'] }, null, 2));
  await writeFile(join(project, 'example.ts'), example);
  await writeFile(join(project, 'misuse.ts'), misuse);
}, 400_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('packs the compiled library, its declarations and the bin, and no TypeScript sources or tests', () => {
    const paths = packed.files.map((file) => file.path);
    expect(paths).toEqual(expect.arrayContaining(['package.json', 'README.md', 'bin/harness.js', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'dist/testing/vitest-fixtures.d.ts']));
    expect(paths.filter((path) => path.endsWith('.ts') && !path.endsWith('.d.ts'))).toEqual([]);
    expect(paths.filter((path) => /^(tests|harness|scripts|fixtures|bench)\//.test(path))).toEqual([]);
  });

  it('type-checks a strict example against the packed declarations, and rejects a wrong option type', async () => {
    const good = await exec(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project });
    expect(good.stdout + good.stderr).toBe('');
    expect(good.code).toBe(0);
    const bad = await exec(process.execPath, [tsc, '-p', 'tsconfig.misuse.json'], { cwd: project });
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).toMatch(/misuse\.ts.*error TS2322.*'string' is not assignable to type 'number'/s);
  }, 120_000);

  it('runs the packed `harness` command with plain node from dist/', async () => {
    const help = await exec(process.execPath, [join(packageDir, 'bin', 'harness.js'), 'boot', '--help'], { cwd: project, env: cleanEnv() });
    expect(help.stderr).toBe('');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--attach/);
    expect(help.stdout).toMatch(/HARNESS_CACHE_DIR/);
  });

  it('without HARNESS_CACHE_DIR, says where it looked for the default image', async () => {
    const result = await exec(process.execPath, ['example.js', 'packed-no-cache'], { cwd: project, env: cleanEnv({ HARNESS_LOG_DIR: join(work, 'logs') }) });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('DefaultImageMissingError');
    expect(result.stderr).toContain(join(packageDir, '.cache', 'fixtures', 'default'));
  });

  it('boots the default image through the packed package with plain node; the shell works, logs land in ./boot-logs, QEMU is gone after', async () => {
    // No HARNESS_LOG_DIR: an installed package writes run folders under the caller's directory, not into node_modules.
    const logs = join(project, 'boot-logs');
    const result = await exec(process.execPath, ['example.js', 'packed-package'], {
      cwd: project,
      env: cleanEnv({ HARNESS_CACHE_DIR: join(root, '.cache') }),
      timeoutMs: 400_000,
    });
    expect(result.code, result.stderr).toBe(0);
    const printed = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { uname: string; logDir: string; qemuPid: number };
    expect(printed.uname.trim()).toBe('Linux');
    expect(dirname(printed.logDir)).toBe(logs);
    const report = JSON.parse(await readFile(join(printed.logDir, 'report.json'), 'utf8')) as { phases: { phase: string }[]; qemu: { exit?: unknown } };
    expect(report.phases.map((mark) => mark.phase)).toEqual(expect.arrayContaining(['prompt', 'stopped']));
    expect(report.qemu.exit).toBeDefined();
    expect(await readdir('/proc')).not.toContain(String(printed.qemuPid));
  }, 450_000);
});
