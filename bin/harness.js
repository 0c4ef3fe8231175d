#!/usr/bin/env node
// Entry point of the `harness` command. In the repository it runs the TypeScript sources through tsx, so
// there is no build step to forget and no stale output to debug; the packed package ships no sources and
// runs the compiled JavaScript in dist/ (`npm run build`, run by `npm pack` through prepack).
import { existsSync } from 'node:fs';

const sources = new URL('../harness/cli/main.ts', import.meta.url);
let main;
if (existsSync(sources)) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import(sources.href));
} else {
  ({ main } = await import('../dist/cli/main.js'));
}
process.exitCode = await main(process.argv.slice(2));
