#!/usr/bin/env node
// Entry point of the `harness` command: runs the TypeScript sources through tsx, so there is no
// build step to forget and no stale output to debug.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../harness/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
