import { describe, expect, it } from 'vitest';
import { slirpHttpUrl, tftpLayout } from '../../../harness/net/tftp-layout.ts';

describe('tftpLayout', () => {
  it('names the script relative to the root and files as tftp URLs on the slirp host', () => {
    const layout = tftpLayout('/run/x/ipxe', 'boot.ipxe');
    expect(layout).toMatchObject({ root: '/run/x/ipxe', bootFile: 'boot.ipxe' });
    expect(layout.url('vmlinuz')).toBe('tftp://10.0.2.2/vmlinuz');
  });

  it.each(['../etc/passwd', 'a/b', '..', '', 'a b'])('refuses %j as a file name', (name) => {
    expect(() => tftpLayout('/r', 'boot.ipxe').url(name)).toThrow(RangeError);
    expect(() => slirpHttpUrl(80, name)).toThrow(RangeError);
  });

  it('builds the guest-side HTTP URL', () => {
    expect(slirpHttpUrl(41234, 'initrd.img')).toBe('http://10.0.2.2:41234/initrd.img');
  });
});
