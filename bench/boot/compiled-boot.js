// One measured boot of the CPU benchmark in a process of its own, on the compiled harness as the `harness`
// command runs it: no TypeScript loader (its thread's garbage collections are not the harness's), and
// nothing left over from the benchmark's other boots. With --warm-up, one boot first that is not measured,
// as a suite's later boots find the process (modules compiled, the TCG speed known); without it, the
// measured boot is the process's first, as `harness boot` runs.
// Usage: node bench/boot/compiled-boot.js pexpect-work|all-checks <run name> [--warm-up]
// Prints the sample as JSON on the last line of stdout.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildTree, compiledHarnessModule, repositoryRoot } from '../../bin/harness-build.js';

const [work, name, warmUp] = process.argv.slice(2);
if ((work !== 'pexpect-work' && work !== 'all-checks') || !name || (warmUp !== undefined && warmUp !== '--warm-up')) {
  process.stderr.write('usage: node bench/boot/compiled-boot.js pexpect-work|all-checks <run name> [--warm-up]\n');
  process.exit(2);
}
await compiledHarnessModule('index.js');
// The benchmark's own modules, transpiled beside the harness's build, their harness imports pointed at it.
const benchBuild = join(repositoryRoot, '.harness-build-bench');
await buildTree(join(repositoryRoot, 'bench', 'boot'), benchBuild, (text) => text.replace(/(from ['"])\.\.\/\.\.\/harness\//g, '$1../.harness-build/'));
const module = (file) => import(pathToFileURL(join(benchBuild, file)).href);

const once = async (runName) => {
  if (work === 'pexpect-work') return (await module('pexpect-work.js')).pexpectWorkOnce(runName);
  return (await module('verdict-once.js')).verdictOnce({ defaultImageAs: 'kernel', cpus: 1, name: runName }, { keyPresent: true, storage: 'plan-only' });
};
if (warmUp) await once(`${name}-warm-up`);
process.stdout.write(`${JSON.stringify(await once(name))}\n`);
