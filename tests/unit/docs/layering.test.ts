// Imports point down: reads every import line of harness/**/*.ts (value, type, re-export and dynamic) and
// checks the folders against the layer order of STYLE.md, and that no two folders import each other.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const harnessDir = resolve(import.meta.dirname, '../../../harness');

/**
 * Lowest first. A folder may import its own layer's folders (as long as no cycle forms) and any lower
 * layer's, never a higher one's. Top-level files count as folders of their own name (errors, index).
 */
const layers: readonly (readonly string[])[] = [
  // Imports nothing of ours.
  ['util', 'errors'],
  // Transports and runners: the console engine, SSH, networking, commands over any runner.
  ['console', 'ssh', 'net', 'command'],
  // QEMU: argv, process, QMP, accelerator; hands out a console transport.
  ['qemu'],
  // What an image promises, over a target interface (not a BootedVm).
  ['checks'],
  // Plans, prepares, starts, waits for and stops a machine; tells observers what happens.
  ['boot'],
  // Observers and readers of runs: recorder and report writers, comparisons, the doctor.
  ['report', 'compare', 'doctor'],
  // Composition: the public bootVm (boot with the recorder attached) and snapshots of recorded boots.
  ['run'],
  // Top consumers.
  ['cli', 'testing', 'index'],
];

/** Imports the layer order allows but the architecture does not (STYLE.md: qemu never imports the expecter or SSH). */
const forbidden: readonly { from: string; to: RegExp; why: string }[] = [
  { from: 'qemu', to: /^(ssh\/|console\/(serial-console|shell-session)\.ts$)/, why: 'qemu hands out a transport; it never drives the expecter, a shell or SSH' },
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Relative module specifiers a file imports: `import … from`, `export … from`, `import '…'`, `import('…')`. */
function importedSpecifiers(source: string): string[] {
  const patterns = [/^\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"](\.[^'"]+)['"]/gm, /^\s*import\s*['"](\.[^'"]+)['"]/gm, /\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/g];
  return patterns.flatMap((pattern) => [...source.matchAll(pattern)].map((match) => match[1]!));
}

function folderOf(file: string): string {
  const parts = relative(harnessDir, file).split(sep);
  return parts.length === 1 ? parts[0]!.replace(/\.ts$/, '') : parts[0]!;
}

interface ImportEdge {
  from: string;
  to: string;
  fromFile: string;
  toFile: string;
}

function fileImports(): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const file of sourceFiles(harnessDir)) {
    for (const specifier of importedSpecifiers(readFileSync(file, 'utf8'))) {
      const target = resolve(dirname(file), specifier);
      edges.push({ from: folderOf(file), to: folderOf(target), fromFile: relative(harnessDir, file), toFile: relative(harnessDir, target) });
    }
  }
  return edges;
}

/** Node → the nodes it imports, sorted: the graph shown when a cycle is found. */
function importGraph(edges: readonly { from: string; to: string }[]): Map<string, string[]> {
  const graph = new Map<string, Set<string>>();
  for (const { from, to } of edges) {
    if (!graph.has(from)) graph.set(from, new Set());
    graph.get(from)!.add(to);
  }
  return new Map([...graph].sort(([a], [b]) => a.localeCompare(b)).map(([from, to]) => [from, [...to].sort()]));
}

/** Every cycle, found by depth-first search (one path per back edge). */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (folder: string): void => {
    state.set(folder, 'open');
    path.push(folder);
    for (const next of graph.get(folder) ?? []) {
      if (state.get(next) === 'open') cycles.push([...path.slice(path.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(folder, 'done');
  };
  for (const folder of graph.keys()) if (!state.has(folder)) visit(folder);
  return cycles;
}

const layerOf = new Map(layers.flatMap((folders, index) => folders.map((folder) => [folder, index] as const)));
const allEdges = fileImports();
const edges = allEdges.filter(({ from, to }) => from !== to);
const graph = importGraph(edges);

describe('import layering of harness/', () => {
  it('finds the imports (the reader is not blind)', () => {
    expect(importedSpecifiers("import type { A } from './a.ts';\nexport { B } from '../b/b.ts';\nimport {\n  C,\n} from './c.ts';\nconst d = await import('./d.ts');")).toEqual([
      './a.ts',
      '../b/b.ts',
      './c.ts',
      './d.ts',
    ]);
    expect(graph.get('boot')).toEqual(expect.arrayContaining(['qemu', 'console']));
  });

  it('every folder has a layer', () => {
    const folders = new Set(sourceFiles(harnessDir).map(folderOf));
    expect([...folders].filter((folder) => !layerOf.has(folder))).toEqual([]);
  });

  it('imports point down the layers', () => {
    const upward = edges.filter(({ from, to }) => layerOf.get(to)! > layerOf.get(from)!).map(({ fromFile, toFile }) => `${fromFile} -> ${toFile}`);
    expect(upward).toEqual([]);
  });

  it('boot imports nothing of report/ (recording and reports observe a run)', () => {
    expect(edges.filter(({ from, to }) => from === 'boot' && to === 'report')).toEqual([]);
  });

  it('no two folders import each other, directly or around a loop', () => {
    expect(cycles(graph), JSON.stringify(Object.fromEntries(graph), null, 2)).toEqual([]);
  });

  it('no two files import each other either (type imports included)', () => {
    expect(cycles(importGraph(allEdges.map(({ fromFile, toFile }) => ({ from: fromFile, to: toFile }))))).toEqual([]);
  });

  it.each(forbidden)('$from: $why', ({ from, to }) => {
    expect(edges.filter((edge) => edge.from === from && to.test(edge.toFile)).map(({ fromFile, toFile }) => `${fromFile} -> ${toFile}`)).toEqual([]);
  });
});
