// The fresh-root check's own surface, without building a root: bad arguments fail at once with exit 2
// and say what is accepted, and CI runs it after the README's test command. (The check itself takes
// minutes and runs in .ci/run; `scripts/fresh-root-check --drop-package xorriso` shows it failing.)
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../../..');
const script = join(root, 'scripts/fresh-root-check');
const run = (...args: string[]) => spawnSync(script, args, { encoding: 'utf8', timeout: 30_000 });

describe('scripts/fresh-root-check', () => {
  it('refuses a --drop-package that is not in scripts/setup, listing the packages there', () => {
    const result = run('--drop-package', 'no-such-package');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("--drop-package no-such-package: not in scripts/setup's package list");
    expect(result.stderr).toMatch(/\bqemu-system-x86\b.*\bchromium\b/);
  });

  it('refuses an unknown argument with its usage', () => {
    const result = run('--bogus');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("unknown argument '--bogus'");
    expect(result.stderr).toContain('--drop-package PKG');
  });

  it('runs in CI after the README test command', async () => {
    const ci = (await readFile(join(root, '.ci/run'), 'utf8')).split('\n').filter((line) => line && !line.startsWith('#'));
    expect(ci.indexOf('npm test')).toBeGreaterThan(-1);
    expect(ci.indexOf('scripts/fresh-root-check')).toBeGreaterThan(ci.indexOf('npm test'));
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    expect(readme).toContain('npm run boot     #');
    expect(readme).toContain('scripts/fresh-root-check --drop-package xorriso');
  });
});
