// `harness replay` over a recorded newt screen (the Debian installer's look on a serial console): the
// DEC line-drawing boxes are box-drawing characters, so words beside them keep their word boundaries.
import { describe, expect, it } from 'vitest';
import { harness } from '../../support/run-cli.ts';

describe('harness replay of a text UI', () => {
  it('finds a word next to a box edge with \\b', async () => {
    const result = await harness(['replay', 'fixtures/transcripts/newt-installer-menu.raw', '--expect', '│\\bEnglish English\\b']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Matched \/│\\bEnglish English\\b\/: "│English English" at text offset \d+/);
  });
});
