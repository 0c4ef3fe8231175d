// Pure: does this Ethernet frame, seen on a QEMU user-mode network, show that the guest has an IPv4
// address? Until it has one, a TCP connection forwarded to it is not refused but held by slirp, which
// retries its SYN for 75 s and then delivers whatever the client sent, even after the client left.

/** slirp's own frames come from 52:55:…; anything else on a user-mode network is the guest's. */
export function fromSlirp(frame: Buffer): boolean {
  return frame[6] === 0x52 && frame[7] === 0x55;
}

function ipv4(bytes: Buffer, at: number): string {
  return `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`;
}

export const etherTypeIpv4 = 0x0800;
const etherTypeArp = 0x0806;
export const ethernetHeaderBytes = 14;

/**
 * What in `frame` says the guest has (or is just getting) an IPv4 address: a DHCP reply sent to it, or an
 * ARP or IPv4 packet it sent from a non-zero address (a guest configured without DHCP answers slirp's ARP
 * for it; one with an address answers a forwarded SYN, even with a reset). Undefined for anything else,
 * including frames cut too short to tell. Reads only the first 42 bytes (Ethernet, IPv4, UDP headers).
 */
export function guestAddressEvidence(frame: Buffer): string | undefined {
  if (frame.length < ethernetHeaderBytes) return undefined;
  const etherType = frame.readUInt16BE(12);
  const payload = frame.subarray(ethernetHeaderBytes);
  if (etherType === etherTypeArp) {
    // htype, ptype, hlen, plen, oper, sender MAC (6), sender IPv4 (4).
    if (payload.length < 18 || fromSlirp(frame) || payload.readUInt16BE(2) !== etherTypeIpv4) return undefined;
    const sender = ipv4(payload, 14);
    return sender === '0.0.0.0' ? undefined : `the guest sent ARP as ${sender}`;
  }
  if (etherType !== etherTypeIpv4 || payload.length < 20 || payload[0]! >> 4 !== 4) return undefined;
  if (!fromSlirp(frame)) {
    const source = ipv4(payload, 12);
    return source === '0.0.0.0' ? undefined : `the guest sent IPv4 from ${source}`;
  }
  const headerBytes = (payload[0]! & 0x0f) * 4;
  const udp = 17;
  if (payload[9] !== udp || payload.length < headerBytes + 4) return undefined;
  // A DHCP offer or ack (which one is past the snap length): the guest configures the address at once.
  const serverToClient = payload.readUInt16BE(headerBytes) === 67 && payload.readUInt16BE(headerBytes + 2) === 68;
  return serverToClient ? `DHCP reply sent to the guest (to ${ipv4(payload, 16)})` : undefined;
}
