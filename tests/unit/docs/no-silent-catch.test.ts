// No failure disappears without a word: every catch that drops its error (`catch {`, `.catch(() => …)`)
// carries a one-line reason right there. Anything else must use the error (warn, rethrow, report).
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../../..');

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files = await Promise.all(entries.map((entry) => (entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [])));
  return files.flat();
}

describe('catches that drop their error', () => {
  it('each has a reason next to it', async () => {
    const unexplained: string[] = [];
    for (const file of await sources(join(root, 'harness'))) {
      const lines = (await readFile(file, 'utf8')).split('\n');
      for (const [index, line] of lines.entries()) {
        if (!/\bcatch \{|\.catch\(\(\) =>/.test(line)) continue;
        const nearby = [lines[index - 1], line, lines[index + 1]].filter((text): text is string => text !== undefined);
        if (!nearby.some((text) => /\/\/|\/\*/.test(text))) unexplained.push(`${relative(root, file)}:${index + 1}: ${line.trim()}`);
      }
    }
    expect(unexplained).toEqual([]);
  });
});
