import { describe, expect, it } from 'vitest';
import { defaultFailurePatterns } from '../../../harness/console/failure-patterns.ts';
import { requiredLiterals } from '../../../harness/console/required-literals.ts';

describe('requiredLiterals', () => {
  it.each([
    [/Kernel panic - not syncing/, ['Kernel panic - not syncing']],
    [/(?:^|\] )Oops(?: -)?: /, ['Oops']],
    [/(?:^|\] )(?:kernel )?BUG: |kernel BUG at /, ['BUG: ', 'kernel BUG at ']],
    [/Connection timed out \(https?:\/\/ipxe\.org\//, ['Connection timed out (http']],
    [/\bError 0x[0-9a-f]{8} \(https?:\/\/ipxe\.org\//, ['://ipxe.org/']],
    [/abcd+efgh?ij/, ['abc']],
    [/xyz(?=abc)uvw/, ['xyz']],
    [/no{2}thing/, ['thing']],
    [/a.b*cde/, ['cde']],
    [/ab[cd]*efg|hij(?:k|l)mno/, ['efg', 'hij']],
  ])('%s needs one of %j', (regexp, literals) => {
    expect(requiredLiterals(regexp)).toEqual(literals);
  });

  it.each([
    ['a flag that changes what a literal matches', /foo bar/i],
    ['a hex escape', /\x41bcd/],
    ['a back-reference', /(a)\1bcd/],
    ['an alternative without a literal of three characters', /abcd|ef/],
    ['no literal at all', /[abc]+\d*/],
    ['an unbalanced bracket', /abc]def/],
    ['a brace that is not a quantifier', /abc{def/],
  ])('gives up on %s', (_why, regexp) => {
    expect(requiredLiterals(regexp)).toBeUndefined();
  });

  it.each(defaultFailurePatterns.map((failure) => [failure.name, failure.pattern] as const))('every default failure pattern has literals (%s)', (_name, pattern) => {
    expect(requiredLiterals(pattern)).toBeDefined();
  });
});
