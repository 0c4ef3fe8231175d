import { describe, expect, it } from 'vitest';
import { IpxeScriptError, renderIpxeScript } from '../../../harness/net/ipxe-script.ts';

describe('renderIpxeScript', () => {
  it('renders kernel with a serial console, initrd and boot', () => {
    const script = renderIpxeScript({
      kernelUrl: 'http://10.0.2.2:4000/vmlinuz',
      initrdUrl: 'http://10.0.2.2:4000/initrd.img',
      append: 'quiet pre_nixos.root_key=c3NoLWVkMjU1MTk=',
    });
    expect(script).toBe(
      [
        '#!ipxe',
        'kernel http://10.0.2.2:4000/vmlinuz console=ttyS0,115200n8 quiet pre_nixos.root_key=c3NoLWVkMjU1MTk= initrd=initrd.img',
        'initrd --name initrd.img http://10.0.2.2:4000/initrd.img',
        'boot',
        '',
      ].join('\n'),
    );
  });

  it.each([
    ['console=ttyS0,9600 quiet', 'console=ttyS0,9600 quiet'],
    ['  quiet   loglevel=3 ', 'console=ttyS0,115200n8 quiet loglevel=3'],
    ['', 'console=ttyS0,115200n8'],
  ])('append %j becomes %j', (append, expected) => {
    const script = renderIpxeScript({ kernelUrl: 'tftp://10.0.2.2/vmlinuz', append });
    expect(script.split('\n')[1]).toBe(`kernel tftp://10.0.2.2/vmlinuz ${expected}`);
  });

  it('leaves out the initrd line when there is none', () => {
    expect(renderIpxeScript({ kernelUrl: 'http://h/k', append: '' })).toBe('#!ipxe\nkernel http://h/k console=ttyS0,115200n8\nboot\n');
  });

  it.each([
    ['append', { kernelUrl: 'http://h/k', append: 'quiet\nshell' }],
    ['kernelUrl', { kernelUrl: 'http://h/k\rboot', append: '' }],
    ['initrdUrl', { kernelUrl: 'http://h/k', initrdUrl: 'http://h/i\nchain http://evil/', append: '' }],
    ['kernelUrl', { kernelUrl: '  ', append: '' }],
  ])('refuses a %s that would inject iPXE commands', (field, input) => {
    expect(() => renderIpxeScript(input)).toThrow(IpxeScriptError);
    try {
      renderIpxeScript(input);
    } catch (error) {
      expect((error as IpxeScriptError).field).toBe(field);
    }
  });
});
