#!/usr/bin/env node
// Entry point of the `harness` command: runs the compiled harness (bin/harness-build.js says where it
// comes from). Why not tsx on every run: it costs ~0.8 s before the first line of a command runs, which a
// command that fails at argument parsing or prints its help should not pay (measured: 1.15 s vs 0.4 s).
import { compiledHarnessModule } from './harness-build.js';

const { main } = await import(await compiledHarnessModule('cli/main.js'));
process.exitCode = await main(process.argv.slice(2));
