// Boots measured for the CPU benchmark in a process of their own, on the compiled harness as the `harness`
// command runs it: no TypeScript loader (its thread's garbage collections are not the harness's), and
// nothing left over from the benchmark's other boots. The first boot is what `harness boot` pays (modules
// not yet compiled, the TCG speed not yet known); the later ones are what a suite's boots pay. Take the
// later boots' median: V8's memory reducer runs two full collections ~8 s after the start-up's, ~80 ms of
// CPU that lands in one of the first later boots and not again while the heap stays the same size.
// Usage: node bench/boot/compiled-boot.js pexpect-work|all-checks <run name> <boots>
// Prints the samples, in boot order, as a JSON array on the last line of stdout.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildTree, compiledHarnessModule, repositoryRoot } from '../../bin/harness-build.js';

const [work, name, boots] = process.argv.slice(2);
if ((work !== 'pexpect-work' && work !== 'all-checks') || !name || !(Number(boots) >= 1)) {
  process.stderr.write('usage: node bench/boot/compiled-boot.js pexpect-work|all-checks <run name> <boots>\n');
  process.exit(2);
}
await compiledHarnessModule('index.js');
// The benchmark's own modules, transpiled beside the harness's build, their harness imports pointed at it.
const benchBuild = join(repositoryRoot, '.harness-build-bench');
await buildTree(join(repositoryRoot, 'bench', 'boot'), benchBuild, (text) => text.replace(/(from ['"])\.\.\/\.\.\/harness\//g, '$1../.harness-build/'));
const module = (file) => import(pathToFileURL(join(benchBuild, file)).href);

const samples = [];
for (let i = 0; i < Number(boots); i++) {
  const runName = `${name}-${i}`;
  if (work === 'pexpect-work') samples.push(await (await module('pexpect-work.js')).pexpectWorkOnce(runName));
  else samples.push(await (await module('verdict-once.js')).verdictOnce({ defaultImageAs: 'kernel', cpus: 1, name: runName }, { keyPresent: true, storage: 'plan-only' }));
}
process.stdout.write(`${JSON.stringify(samples)}\n`);
