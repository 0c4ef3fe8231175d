import { describe, expect, it } from 'vitest';
import { maxMatchLength } from '../../../harness/console/pattern-length.ts';

describe('maxMatchLength', () => {
  it.each([
    [/root@pre-nixos:~\]#/, 18],
    [/[#$]\s?$/m, 2],
    [/\bok\b/, 2],
    [/a|bcd|ef/, 3],
    [/(?:ab){2,3}c?/, 7],
    [/(?<word>x{4})/, 4],
    [/[\]x]y/, 2],
    [/\x41\u0042\cJ\t/, 4],
    [/\u{1F600}./u, 4],
    [/^login:\s*$/, undefined],
    [/^prompt$/m, 6],
    [/login:\s*$/, undefined],
    [/a+/, undefined],
    [/a{2,}/, undefined],
    [/a(?=b)/, undefined],
    [/(?<=a)b/, undefined],
    [/(a)\1/, undefined],
    [/a{,2}/, undefined], // a literal brace: left to the full search
  ] as const)('%s → %s', (regexp, expected) => {
    expect(maxMatchLength(regexp)).toBe(expected);
  });

  it('is never shorter than a match it allows', () => {
    const patterns = [/x[0-9]{1,3}y?/, /(?:ab|c){3}/, /\d\d:\d\d(?::\d\d)?/, /é{2}/];
    const alphabet = 'xyabc0123456789:é';
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (const pattern of patterns) {
      const bound = maxMatchLength(pattern)!;
      const global = new RegExp(pattern.source, `${pattern.flags}g`);
      for (let i = 0; i < 200; i++) {
        const text = Array.from({ length: 40 }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
        for (const match of text.matchAll(global)) expect(match[0].length).toBeLessThanOrEqual(bound);
      }
    }
  });
});
