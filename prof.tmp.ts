import { noiseBlock, engineRun } from './bench/expect/run.ts';
const block = noiseBlock();
const bytes = Buffer.concat([...Array.from({ length: 20 }, () => block), Buffer.from('\x1b[1;31m[\x1b]0;root@pre-nixos: ~\x07root@pre-nixos:~]#\x1b[0m ')]);
for (let i = 0; i < 3; i++) { const r = await engineRun(bytes, { screen: false }); console.log(r.ms, bytes.length / 1e6 / (r.ms / 1000)); }
