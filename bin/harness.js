#!/usr/bin/env node
// Entry point of the `harness` command. The packed package ships no sources and runs the compiled
// JavaScript in dist/. In the repository there is no build step to forget: the sources are transpiled
// here into .harness-build/ when they changed since the last run (TypeScript's transpileModule, the same
// per-file transform as dist/, about a second for the whole tree) and that output is run afterwards.
// Why not tsx on every run: it costs ~0.8 s before the first line of a command runs, which a command
// that fails at argument parsing or prints its help should not pay (measured: 1.15 s vs 0.4 s).
// .harness-build/ sits beside harness/ at the same depth, so module paths computed from import.meta.url
// (the repository root, two levels up) mean the same thing in both.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const sources = join(repo, 'harness');
const buildDir = join(repo, '.harness-build');

async function sourceFiles(dir) {
  const files = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await sourceFiles(path)));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) files.push(path);
  }
  return files.sort();
}

/** Names, sizes and modification times of every source: any edit, addition or removal changes it. */
async function signatureOf(files) {
  const hash = createHash('sha256');
  for (const file of files) {
    const info = await stat(file);
    hash.update(`${relative(sources, file)}\0${info.size}\0${info.mtimeMs}\n`);
  }
  return hash.digest('hex');
}

async function transpile(files, signature) {
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
    await writeFile(target, output.outputText);
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

let main;
if (existsSync(join(sources, 'cli', 'main.ts'))) {
  const files = await sourceFiles(sources);
  const signature = await signatureOf(files);
  const current = await readFile(join(buildDir, '.signature'), 'utf8').catch(() => '');
  if (current !== signature) await transpile(files, signature);
  ({ main } = await import(pathToFileURL(join(buildDir, 'cli', 'main.js')).href));
} else {
  ({ main } = await import('../dist/cli/main.js'));
}
process.exitCode = await main(process.argv.slice(2));
