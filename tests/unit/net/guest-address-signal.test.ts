// Frames as slirp and a guest put them on a user-mode network, built byte by byte, and the pcap stream
// QEMU's filter-dump writes around them, read in every split.
import { mkdtemp, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { guestAddressEvidence } from '../../../harness/net/guest-address-signal.ts';
import { guestConnectionAccept } from '../../../harness/net/guest-connection-accept.ts';
import { PcapFormatError, PcapRecords } from '../../../harness/net/pcap-records.ts';
import { GuestAddressWatch, type GuestAddressSign } from '../../../harness/net/guest-address-watch.ts';

const slirpMac = [0x52, 0x55, 0x0a, 0x00, 0x02, 0x02];
const guestMac = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
const broadcastMac = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];

function ethernet(source: number[], destination: number[], etherType: number, payload: number[]): Buffer {
  return Buffer.from([...destination, ...source, etherType >> 8, etherType & 0xff, ...payload]);
}

function ipv4Header(protocol: number, source: number[], destination: number[]): number[] {
  return [0x45, 0, 0, 0, 0, 0, 0, 0, 64, protocol, 0, 0, ...source, ...destination];
}

function udp(sourcePort: number, destinationPort: number): number[] {
  return [sourcePort >> 8, sourcePort & 0xff, destinationPort >> 8, destinationPort & 0xff, 0, 8, 0, 0];
}

function arp(senderMac: number[], senderIp: number[], targetIp: number[]): number[] {
  return [0, 1, 0x08, 0x00, 6, 4, 0, 2, ...senderMac, ...senderIp, 0, 0, 0, 0, 0, 0, ...targetIp];
}

const dhcpReply = ethernet(slirpMac, broadcastMac, 0x0800, [...ipv4Header(17, [10, 0, 2, 2], [255, 255, 255, 255]), ...udp(67, 68)]);
const dhcpRequest = ethernet(guestMac, broadcastMac, 0x0800, [...ipv4Header(17, [0, 0, 0, 0], [255, 255, 255, 255]), ...udp(68, 67)]);
const guestReset = ethernet(guestMac, slirpMac, 0x0800, [...ipv4Header(6, [10, 0, 2, 15], [10, 0, 2, 2]), 0, 22, 0x9c, 0x40]);
const slirpSyn = ethernet(slirpMac, guestMac, 0x0800, [...ipv4Header(6, [10, 0, 2, 2], [10, 0, 2, 15]), 0x9c, 0x40, 0, 22]);
const slirpDns = ethernet(slirpMac, guestMac, 0x0800, [...ipv4Header(17, [10, 0, 2, 3], [10, 0, 2, 15]), ...udp(53, 40000)]);
/** A TCP header: ports, sequence and acknowledgement numbers, data offset, `flags`, window, checksum, urgent pointer. */
function tcpHeader(sourcePort: number, destinationPort: number, flags: number): number[] {
  return [sourcePort >> 8, sourcePort & 0xff, destinationPort >> 8, destinationPort & 0xff, 0, 0, 0, 1, 0, 0, 0, 2, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0];
}
const synAck = 0x12;
const guestSynAck = (peerPort: number) => ethernet(guestMac, slirpMac, 0x0800, [...ipv4Header(6, [10, 0, 2, 15], [10, 0, 2, 2]), ...tcpHeader(22, peerPort, synAck)]);
const guestTcpReset = ethernet(guestMac, slirpMac, 0x0800, [...ipv4Header(6, [10, 0, 2, 15], [10, 0, 2, 2]), ...tcpHeader(22, 40000, 0x14)]);
const guestTcpAck = ethernet(guestMac, slirpMac, 0x0800, [...ipv4Header(6, [10, 0, 2, 15], [10, 0, 2, 2]), ...tcpHeader(22, 40000, 0x10)]);
const slirpSynAck = ethernet(slirpMac, guestMac, 0x0800, [...ipv4Header(6, [10, 0, 2, 2], [10, 0, 2, 15]), ...tcpHeader(40000, 22, synAck)]);
const guestArp = ethernet(guestMac, slirpMac, 0x0806, arp(guestMac, [10, 0, 2, 15], [10, 0, 2, 2]));
const guestProbeArp = ethernet(guestMac, broadcastMac, 0x0806, arp(guestMac, [0, 0, 0, 0], [10, 0, 2, 15]));
const slirpArp = ethernet(slirpMac, broadcastMac, 0x0806, arp(slirpMac, [10, 0, 2, 2], [10, 0, 2, 15]));

describe('guestAddressEvidence', () => {
  it('a DHCP reply from slirp, the guest answering from its address, or its ARP as that address are signs', () => {
    expect(guestAddressEvidence(dhcpReply)).toBe('DHCP reply sent to the guest (to 255.255.255.255)');
    expect(guestAddressEvidence(guestReset)).toBe('the guest sent IPv4 from 10.0.2.15');
    expect(guestAddressEvidence(guestArp)).toBe('the guest sent ARP as 10.0.2.15');
  });

  it('what slirp sends on its own, the guest asking for an address, and cut frames are not', () => {
    for (const frame of [dhcpRequest, slirpSyn, slirpDns, guestProbeArp, slirpArp, dhcpReply.subarray(0, 37), guestReset.subarray(0, 20), Buffer.alloc(0)]) {
      expect(guestAddressEvidence(frame)).toBeUndefined();
    }
  });
});

describe('guestConnectionAccept', () => {
  it("the guest's SYN+ACK names the host-side port slirp passed on", () => {
    expect(guestConnectionAccept(guestSynAck(40000))).toEqual({ guestPort: 22, peerPort: 40000 });
    // Cut at QEMU's snap length (64 bytes), the flags are still in.
    expect(guestConnectionAccept(guestSynAck(51234).subarray(0, 48))).toEqual({ guestPort: 22, peerPort: 51234 });
  });

  it('a reset, a plain ACK, what slirp sends, UDP and frames cut before the flags are not accepts', () => {
    for (const frame of [guestTcpReset, guestTcpAck, slirpSynAck, slirpSyn, dhcpReply, guestArp, guestSynAck(40000).subarray(0, 47), Buffer.alloc(0)]) {
      expect(guestConnectionAccept(frame)).toBeUndefined();
    }
  });
});

/** A pcap stream as QEMU writes it on this (little-endian) host, or big-endian. */
function pcap(frames: Buffer[], littleEndian = true): Buffer {
  const u32 = (value: number) => {
    const bytes = Buffer.alloc(4);
    if (littleEndian) bytes.writeUInt32LE(value);
    else bytes.writeUInt32BE(value);
    return bytes;
  };
  const u16 = (value: number) => {
    const bytes = Buffer.alloc(2);
    if (littleEndian) bytes.writeUInt16LE(value);
    else bytes.writeUInt16BE(value);
    return bytes;
  };
  const header = Buffer.concat([u32(0xa1b2c3d4), u16(2), u16(4), u32(0), u32(0), u32(64), u32(1)]);
  return Buffer.concat([header, ...frames.flatMap((frame, index) => [u32(index), u32(0), u32(frame.length), u32(frame.length + 100), frame])]);
}

describe('PcapRecords', () => {
  const frames = [dhcpRequest, dhcpReply, slirpSyn, guestReset];

  it('gives the same frames whole, byte by byte and in random pieces, in either byte order', () => {
    for (const littleEndian of [true, false]) {
      const stream = pcap(frames, littleEndian);
      expect(new PcapRecords().push(stream)).toEqual(frames);
      const byByte = new PcapRecords();
      expect([...stream].flatMap((byte) => byByte.push(Buffer.from([byte])))).toEqual(frames);
      for (let run = 0; run < 20; run++) {
        const records = new PcapRecords();
        const out: Buffer[] = [];
        for (let at = 0; at < stream.length; ) {
          const size = 1 + Math.floor(Math.random() * 40);
          out.push(...records.push(stream.subarray(at, at + size)));
          at += size;
        }
        expect(out).toEqual(frames);
      }
    }
  });

  it('a stream that is not pcap is an error naming its magic', () => {
    expect(() => new PcapRecords().push(Buffer.alloc(24, 0x41))).toThrow(PcapFormatError);
    expect(() => new PcapRecords().push(Buffer.alloc(24, 0x41))).toThrow(/magic 0x41414141/);
  });
});

describe('GuestAddressWatch', () => {
  it('follows the file as it grows and tells of the frames that show an address, not the others', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'address-watch-'));
    const path = join(dir, 'capture.pcap');
    const stream = pcap([dhcpRequest, slirpSyn, dhcpReply, guestReset]);
    const firstTwo = 24 + 2 * 16 + dhcpRequest.length + slirpSyn.length;
    await writeFile(path, stream.subarray(0, firstTwo));
    const watch = GuestAddressWatch.start(path);
    const signs: (GuestAddressSign | undefined)[] = [];
    watch.onSign((sign) => signs.push(sign));
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(signs).toEqual([]);
      expect(watch.first).toBeUndefined();
      await appendFile(path, stream.subarray(firstTwo, firstTwo + 30));
      await appendFile(path, stream.subarray(firstTwo + 30));
      await expect.poll(() => watch.latest?.evidence, { timeout: 5000 }).toBe('the guest sent IPv4 from 10.0.2.15');
      expect(watch.first?.evidence).toMatch(/^DHCP reply|^the guest sent IPv4/);
      expect(signs.every((sign) => sign !== undefined)).toBe(true);
    } finally {
      watch.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a capture it cannot read ends the watch with the problem and tells the listeners no sign will come', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'address-watch-'));
    const path = join(dir, 'capture.pcap');
    await writeFile(path, Buffer.alloc(40, 0x41));
    const watch = GuestAddressWatch.start(path);
    const signs: (GuestAddressSign | undefined)[] = [];
    watch.onSign((sign) => signs.push(sign));
    try {
      await expect.poll(() => watch.problem, { timeout: 5000 }).toMatch(/not a pcap stream/);
      expect(signs).toEqual([undefined]);
      const missing = GuestAddressWatch.start(join(dir, 'absent.pcap'));
      expect(missing.problem).toMatch(/cannot watch .*absent\.pcap/);
    } finally {
      watch.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("tells of the guest accepting a connection by its host-side port, once, and only of accepts since the listener's start", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'address-watch-'));
    const path = join(dir, 'capture.pcap');
    const stream = pcap([dhcpReply, guestSynAck(40001)]);
    await writeFile(path, stream);
    const watch = GuestAddressWatch.start(path);
    const seen: string[] = [];
    try {
      await expect.poll(() => watch.latest?.evidence, { timeout: 5000 }).toBe('the guest sent IPv4 from 10.0.2.15');
      // Already accepted since the listener's start: told at once.
      watch.onConnectionAccepted(40001, 0, () => seen.push('40001 since 0'));
      expect(seen).toEqual(['40001 since 0']);
      // The same port's accept from before: another connection's.
      watch.onConnectionAccepted(40001, performance.now(), () => seen.push('40001 later'));
      watch.onConnectionAccepted(40002, 0, () => seen.push('40002'));
      const stopped = watch.onConnectionAccepted(40003, 0, () => seen.push('40003'));
      stopped();
      const more = pcap([guestTcpReset, guestSynAck(40002), guestSynAck(40003), guestSynAck(40002)]).subarray(24);
      await appendFile(path, more);
      await expect.poll(() => seen, { timeout: 5000 }).toContain('40002');
      await appendFile(path, pcap([guestSynAck(40001)]).subarray(24));
      await expect.poll(() => seen, { timeout: 5000 }).toContain('40001 later');
      expect(seen).toEqual(['40001 since 0', '40002', '40001 later']);
    } finally {
      watch.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
