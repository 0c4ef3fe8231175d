import { describe, expect, it } from 'vitest';
import { findIpxeFailure } from '../../../harness/net/ipxe-messages.ts';

// Console lines as the normaliser gives them, from real runs (iPXE 1.0.0+git-20190125 from Debian's ipxe-qemu).
const http404 = [
  'Next server: 10.0.2.2',
  'Filename: http://10.0.2.2:44481/boot.ipxe',
  'http://10.0.2.2:44481/boot.ipxe... ok',
  'boot.ipxe : 288 bytes [script]',
  'http://10.0.2.2:44481/vmlinuz... ok',
  'http://10.0.2.2:44481/initrd.img... No such file or directory (http://ipxe.org/2',
  'd0c613b)',
  'Could not boot image: No such file or directory (http://ipxe.org/2d0c613b)',
  'No more network devices',
];

describe('findIpxeFailure', () => {
  it('names the fetch that failed and joins the wrapped error reference', () => {
    expect(findIpxeFailure(http404, 'fallback')).toEqual({
      url: 'http://10.0.2.2:44481/initrd.img',
      said: 'No such file or directory (http://ipxe.org/2d0c613b)',
    });
  });

  it.each([
    [['http://10.0.2.2:18777/missing.img... No such file or directory (http://ipxe.org/', '2d0c613b)']],
    [['http://10.0.2.2:39739/missing-initrd.img... No such file or directory (http://ip', 'xe.org/2d0c613b)']],
  ])('joins a wrap anywhere in the reference: %j', (lines) => {
    expect(findIpxeFailure(lines, '').said).toBe('No such file or directory (http://ipxe.org/2d0c613b)');
  });

  it('reads a boot URL nobody listens on (slirp resets the connection)', () => {
    const lines = ['Filename: http://10.0.2.2:40113/boot.ipxe', 'http://10.0.2.2:40113/boot.ipxe... Connection reset (http://ipxe.org/0f0a6039)', 'No more network devices'];
    expect(findIpxeFailure(lines, '')).toEqual({ url: 'http://10.0.2.2:40113/boot.ipxe', said: 'Connection reset (http://ipxe.org/0f0a6039)' });
  });

  it('reads a slow fetch whose progress dots wrapped past 80 columns before iPXE gave up', () => {
    // From a real run: slirp took 80 s to reset the connection, and iPXE printed a dot every second or so.
    const lines = [
      'Filename: http://10.0.2.2:36659/boot.ipxe',
      'http://10.0.2.2:36659/boot.ipxe.................................................',
      '............................... Connection reset (http://ipxe.org/0f0a6039)',
      'No more network devices',
    ];
    expect(findIpxeFailure(lines, '')).toEqual({ url: 'http://10.0.2.2:36659/boot.ipxe', said: 'Connection reset (http://ipxe.org/0f0a6039)' });
    // Still going: nothing said yet, and a wrapped run of dots is no failure.
    expect(findIpxeFailure(lines.slice(0, 2), 'fallback')).toEqual({ url: undefined, said: 'fallback' });
    expect(findIpxeFailure([lines[1]!, '........ ok'], 'fallback')).toEqual({ url: undefined, said: 'fallback' });
  });

  it('reads a DHCP failure, which has no URL', () => {
    const lines = ['Configuring (net0 52:54:00:12:34:56)...... No configuration methods succeeded (http://ipxe.org/040ee186)', 'No more network devices'];
    expect(findIpxeFailure(lines, 'x')).toEqual({ url: undefined, said: 'No configuration methods succeeded (http://ipxe.org/040ee186)' });
  });

  it('falls back to the failure line when the console shows no fetch', () => {
    expect(findIpxeFailure(['Booting from ROM...'], 'No bootable device.')).toEqual({ url: undefined, said: 'No bootable device.' });
  });

  it('ignores successful fetches', () => {
    expect(findIpxeFailure(http404.slice(0, 5), 'none').url).toBeUndefined();
  });
});
