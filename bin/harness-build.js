// The harness as JavaScript that Node runs without a loader. The packed package ships it compiled in
// dist/. In the repository the sources are transpiled into .harness-build/ when they changed since the
// last build (TypeScript's transpileModule, the same per-file transform as dist/, about a second for the
// whole tree). `harness` (bin/harness.js) runs that output; so do the benchmarks that measure the
// harness's own CPU, so that a loader's thread and its garbage collections are not counted as the harness's.
// .harness-build/ sits beside harness/ at the same depth, so module paths computed from import.meta.url
// (the repository root, two levels up) mean the same thing in both.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const repositoryRoot = fileURLToPath(new URL('..', import.meta.url));

async function sourceFiles(dir) {
  const files = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await sourceFiles(path)));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) files.push(path);
  }
  return files.sort();
}

/** Names, sizes and modification times of every source, and the rewrite's code: any edit, addition or removal changes it. */
async function signatureOf(sources, files, rewrite) {
  const hash = createHash('sha256');
  hash.update(`${rewrite}\n`);
  for (const file of files) {
    const info = await stat(file);
    hash.update(`${relative(sources, file)}\0${info.size}\0${info.mtimeMs}\n`);
  }
  return hash.digest('hex');
}

async function transpile(sources, buildDir, files, signature, rewrite) {
  const { default: ts } = await import('typescript');
  const staging = `${buildDir}.${process.pid}.tmp`;
  await rm(staging, { recursive: true, force: true });
  for (const file of files) {
    const output = ts.transpileModule(await readFile(file, 'utf8'), {
      fileName: file,
      compilerOptions: {
        target: ts.ScriptTarget.ES2022,
        // ESM output: transpileModule sees one file, so it cannot read package.json's "type" as NodeNext would.
        module: ts.ModuleKind.ES2022,
        verbatimModuleSyntax: true,
        rewriteRelativeImportExtensions: true,
        sourceMap: false,
      },
    });
    const target = join(staging, relative(sources, file)).replace(/\.ts$/, '.js');
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, rewrite(output.outputText));
  }
  // package.json type=module makes .js ESM for Node; say it here too so the tree stands on its own.
  await writeFile(join(staging, 'package.json'), '{ "type": "module" }\n');
  await writeFile(join(staging, '.signature'), signature);
  // Swap in whole: a concurrent run sees the old tree or the new one, never half of one.
  const old = `${buildDir}.${process.pid}.old`;
  await rename(buildDir, old).catch(() => undefined); // no previous build: nothing to move aside
  try {
    await rename(staging, buildDir);
  } catch {
    // Another run put its build in place first; it was made from the same sources or newer ones.
    await rm(staging, { recursive: true, force: true });
  }
  await rm(old, { recursive: true, force: true });
}

/**
 * Transpiles the TypeScript tree `sources` into `buildDir` unless the build there was made from the same
 * files. `rewrite` may change each module's output text (e.g. where its imports point).
 */
export async function buildTree(sources, buildDir, rewrite = (text) => text) {
  const files = await sourceFiles(sources);
  const signature = await signatureOf(sources, files, rewrite);
  const current = await readFile(join(buildDir, '.signature'), 'utf8').catch(() => '');
  if (current !== signature) await transpile(sources, buildDir, files, signature, rewrite);
}

/** The URL of the compiled harness module `path` (relative to harness/, e.g. 'cli/main.js'), built first when needed. */
export async function compiledHarnessModule(path) {
  const sources = join(repositoryRoot, 'harness');
  if (!existsSync(join(sources, 'cli', 'main.ts'))) return new URL(`../dist/${path}`, import.meta.url).href;
  const buildDir = join(repositoryRoot, '.harness-build');
  await buildTree(sources, buildDir);
  return pathToFileURL(join(buildDir, path)).href;
}
