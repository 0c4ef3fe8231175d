// Child process for run-key.test.ts: makes many run keys back to back, then says how many.
import { newEd25519KeyPair } from '../../../../harness/ssh/ssh-key.ts';

const count = Number(process.argv[2] ?? 1000);
for (let index = 0; index < count; index += 1) newEd25519KeyPair(`key-${index}`);
process.stdout.write(`${count}\n`);
