import { describe, expect, it } from 'vitest';
import { addressLifetime } from '../../../harness/checks/link-flap.ts';

describe('addressLifetime', () => {
  it.each([
    ['2: lan    inet 10.0.2.15/24 brd 10.0.2.255 scope global dynamic lan\\       valid_lft 86391sec preferred_lft 86391sec\n', { address: '10.0.2.15', validSeconds: 86391 }],
    ['2: lan    inet 10.0.2.15/24 brd 10.0.2.255 scope global lan\\       valid_lft forever preferred_lft forever\n', { address: '10.0.2.15', validSeconds: 'forever' }],
    ['', undefined],
  ])('%j', (output, expected) => {
    expect(addressLifetime(output)).toEqual(expected);
  });
});
