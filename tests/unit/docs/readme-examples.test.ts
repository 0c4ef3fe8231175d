// The README's Library API examples are copied from tests that run: every line of each TypeScript block
// must appear, in order, in the test file the paragraph before it names.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../../..');
const readme = await readFile(join(root, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Library API'), readme.indexOf('\n## ', readme.indexOf('## Library API') + 1));
const examples = [...section.matchAll(/`(tests\/(?:boot|unit\/[\w-]+)\/[\w.-]+\.test\.ts)`:\n\n```ts\n([\s\S]*?)```/g)].map((match) => ({ file: match[1]!, code: match[2]! }));

describe('README Library API examples', () => {
  it('has examples', () => {
    expect(examples.length).toBeGreaterThanOrEqual(2);
  });

  it.each(examples)('are copied from $file', async ({ file, code }) => {
    const source = (await readFile(join(root, file), 'utf8')).split('\n').map((line) => line.trim());
    let at = 0;
    for (const line of code.split('\n').map((text) => text.trim()).filter(Boolean)) {
      const found = source.indexOf(line, at);
      expect(found, `README line not found (in order) in ${file}: ${line}`).toBeGreaterThanOrEqual(0);
      at = found + 1;
    }
  });
});
