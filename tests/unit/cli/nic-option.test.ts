import { describe, expect, it } from 'vitest';
import { parseNicOption } from '../../../harness/cli/nic-option.ts';
import { UsageError } from '../../../harness/errors.ts';

describe('parseNicOption', () => {
  it.each([
    ['user', { mode: 'user' }],
    ['user,mac=52:54:00:00:00:01', { mode: 'user', mac: '52:54:00:00:00:01' }],
    ['bridge=br0', { mode: 'bridge', bridge: 'br0' }],
    ['bridge=br-lab,netns=lab,create,mac=02:00:00:00:00:01,model=e1000', { mode: 'bridge', bridge: 'br-lab', netns: 'lab', createBridge: true, mac: '02:00:00:00:00:01', model: 'e1000' }],
    ['macvtap=eth0', { mode: 'macvtap', link: 'eth0' }],
    ['macvtap=veth1,netns=lab', { mode: 'macvtap', link: 'veth1', netns: 'lab' }],
  ])('%s', (text, expected) => {
    expect(parseNicOption(text)).toEqual(expected);
  });

  it.each([
    ['tap=tap0', /unknown NIC mode `tap`/],
    ['bridge', /needs its bridge \(bridge=NAME\)/],
    ['macvtap=', /needs its host interface/],
    ['user=eth0', /takes no `=` target/],
    ['macvtap=eth0,create', /`create` does not apply to a macvtap NIC/],
    ['bridge=br0,mac', /`mac` needs a value/],
    ['bridge=br0,netns=a,netns=b', /`netns` given twice/],
  ])('rejects %s', (text, message) => {
    let error: unknown;
    try {
      parseNicOption(text);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).input).toBe(`--nic ${text}`);
    expect((error as UsageError).message).toMatch(message);
  });
});
