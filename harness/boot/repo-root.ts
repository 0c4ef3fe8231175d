// Where this package lives: the default place for its cache and run folders. Reads no environment.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository (or installed package) this module belongs to (harness/boot/ is two levels down). */
export function defaultRepoRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
}
