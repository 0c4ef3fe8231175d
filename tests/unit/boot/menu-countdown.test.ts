// The bootloader countdown is found in recorded transcripts however the bytes are split, once only.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MenuCountdownDetector } from '../../../harness/boot/menu-countdown.ts';

const transcript = (name: string) => readFileSync(new URL(`../../../fixtures/transcripts/${name}`, import.meta.url));

function firstHit(bytes: Buffer, chunkBytes: number): { at: number; text: string } | undefined {
  const detector = new MenuCountdownDetector();
  let hit: { at: number; text: string } | undefined;
  for (let at = 0; at < bytes.length; at += chunkBytes) {
    const text = detector.feed(bytes.subarray(at, at + chunkBytes));
    if (text !== undefined) {
      expect(hit).toBeUndefined();
      hit = { at: Math.min(bytes.length, at + chunkBytes), text };
    }
  }
  return hit;
}

describe('MenuCountdownDetector', () => {
  it.each([
    ['grub-menu.raw', 'will be executed automatically in'],
    ['systemd-iso-boot.raw', 'will be executed automatically in'],
  ])('%s: finds the countdown in any chunking, by the read that completes it', (name, expected) => {
    const bytes = transcript(name);
    const end = bytes.indexOf(expected) + expected.length;
    for (const chunkBytes of [1, 2, 7, 32, 33, 34, 64, 4096, bytes.length]) {
      const hit = firstHit(bytes, chunkBytes);
      expect(hit?.text).toBe(expected);
      // Found in the read holding the text's last byte: no later.
      expect(hit!.at).toBeLessThan(end + chunkBytes);
    }
  });

  it.each(['default-iso-boot.raw', 'default-direct-boot.raw', 'busybox-initramfs.raw'])('%s: no menu, no countdown', (name) => {
    for (const chunkBytes of [1, 33, 64]) expect(firstHit(transcript(name), chunkBytes)).toBeUndefined();
  });

  it('finds a text split across three reads, and none made of bytes that were never adjacent', () => {
    const detector = new MenuCountdownDetector();
    expect(detector.feed(Buffer.from('xx will be exec'))).toBeUndefined();
    expect(detector.feed(Buffer.from('uted auto'))).toBeUndefined();
    expect(detector.feed(Buffer.from('matically in 5s'))).toBe('will be executed automatically in');
    const apart = new MenuCountdownDetector();
    expect(apart.feed(Buffer.from('Automatic'))).toBeUndefined();
    expect(apart.feed(Buffer.from('\r\n'.repeat(40)))).toBeUndefined();
    expect(apart.feed(Buffer.from(' boot in'))).toBeUndefined();
    // A short read after a long one: what the window held past it is not text that came after it.
    const stale = new MenuCountdownDetector();
    expect(stale.feed(Buffer.from('.'.repeat(40)))).toBeUndefined();
    expect(stale.feed(Buffer.from(`Zutomatic boot in${'.'.repeat(20)}`))).toBeUndefined();
    expect(stale.feed(Buffer.from('A'))).toBeUndefined();
  });

  it('finds SYSLINUX/ISOLINUX wording too', () => {
    const detector = new MenuCountdownDetector();
    expect(detector.feed(Buffer.from('\x1b[22;1HAutomatic boot'))).toBeUndefined();
    expect(detector.feed(Buffer.from(' in 5 seconds...'))).toBe('Automatic boot in');
    expect(detector.found).toBe('Automatic boot in');
  });
});
