// iPXE milestones in the boot timeline, replayed from a real chain boot's console (console.txt of suite-ipxe-http).
import { describe, expect, it } from 'vitest';
import { BootTimeline } from '../../../harness/boot/boot-phase.ts';

const consoleLines: [number, string][] = [
  [297, 'SeaBIOS (version 1.16.2-debian-1.16.2-1)'],
  [317, 'iPXE (http://ipxe.org) 00:03.0 CA00 PCI2.10 PnP PMM+1EFCF110+1EF0F110 CA00'],
  [344, 'Booting from ROM...'],
  [490, 'iPXE initialising devices...ok'],
  [509, 'iPXE 1.0.0+git-20190125.36a4c85-5.1 -- Open Source Network Boot Firmware -- http'],
  [2303, 'net0: 52:54:00:12:34:56 using virtio-net on 0000:00:03.0 (open)'],
  [5629, 'Configuring (net0 52:54:00:12:34:56)...... ok'],
  [5665, 'Filename: http://10.0.2.2:43829/boot.ipxe'],
  [5702, 'http://10.0.2.2:43829/boot.ipxe... ok'],
  [5712, 'boot.ipxe : 280 bytes [script]'],
  [6333, 'http://10.0.2.2:43829/vmlinuz... ok'],
  [6594, 'http://10.0.2.2:43829/initrd.img... ok'],
  [7612, '[    0.000000] Linux version 6.1.0-56-cloud-amd64 (debian-kernel@lists.debian.org)'],
];

function replay(lines: readonly [number, string][]): BootTimeline {
  const timeline = new BootTimeline();
  for (const [atMs, line] of lines) timeline.observeLine(line, atMs);
  return timeline;
}

describe('BootTimeline: iPXE milestones', () => {
  it('marks banner, DHCP, script, kernel and initrd fetched, then the kernel, in order', () => {
    expect(replay(consoleLines).all.map(({ phase, atMs, evidence }) => [phase, atMs, evidence])).toEqual([
      ['firmware', 297, 'SeaBIOS (version 1.16.2-debian-1.16.2-1)'],
      ['ipxe', 490, 'iPXE initialising devices...ok'],
      ['ipxe-dhcp', 5629, 'Configuring (net0 52:54:00:12:34:56)...... ok'],
      ['ipxe-script', 5712, 'boot.ipxe : 280 bytes [script]'],
      ['ipxe-kernel', 6333, 'http://10.0.2.2:43829/vmlinuz'],
      ['ipxe-initrd', 6594, 'http://10.0.2.2:43829/initrd.img'],
      ['kernel', 7612, '[    0.000000] Linux version 6.1.0-56-cloud-amd64 (debian-kernel@lists.debian.org)'],
    ]);
  });

  it('a line repeated by SeaBIOS screen mirroring does not count as the initrd', () => {
    const doubled = consoleLines.flatMap((entry) => [entry, [entry[0] + 1, entry[1]] as [number, string]]);
    const initrd = replay(doubled).all.find((mark) => mark.phase === 'ipxe-initrd');
    expect(initrd).toMatchObject({ atMs: 6594, evidence: 'http://10.0.2.2:43829/initrd.img' });
  });

  it('does not take the script download for the kernel', () => {
    const timeline = replay(consoleLines.slice(0, 9));
    expect(timeline.reached('ipxe-kernel')).toBe(false);
    expect(timeline.current).toBe('ipxe-dhcp');
  });

  it('a failed fetch is no milestone', () => {
    const lines: [number, string][] = [
      ...consoleLines.slice(0, 11),
      [6462, 'http://10.0.2.2:43829/initrd.img... No such file or directory (http://ipxe.org/2'],
    ];
    const timeline = replay(lines);
    expect(timeline.reached('ipxe-kernel')).toBe(true);
    expect(timeline.reached('ipxe-initrd')).toBe(false);
  });
});
