// Pure: does this Ethernet frame, seen on a QEMU user-mode network, show the guest's TCP stack accepting a
// connection forwarded to it (its SYN+ACK)? slirp connects to the guest from the host client's own source
// port, so the frame names which host-side connection the guest took: from then on that connection is
// being served, however long the server in the guest takes to say its first word.
import { etherTypeIpv4, ethernetHeaderBytes, fromSlirp } from './guest-address-signal.ts';

const tcp = 6;
const syn = 0x02;
const ack = 0x10;
const reset = 0x04;

export interface GuestConnectionAccept {
  /** The guest's port (the forward's target, 22 for SSH). */
  guestPort: number;
  /** The source port of the host-side client, as slirp passes it on. */
  peerPort: number;
}

/** The connection `frame` accepts, when it is a SYN+ACK the guest sent; undefined for anything else or a cut frame. */
export function guestConnectionAccept(frame: Buffer): GuestConnectionAccept | undefined {
  if (frame.length < ethernetHeaderBytes + 20 || frame.readUInt16BE(12) !== etherTypeIpv4) return undefined;
  if (fromSlirp(frame)) return undefined;
  const ip = ethernetHeaderBytes;
  if (frame[ip]! >> 4 !== 4 || frame[ip + 9] !== tcp) return undefined;
  const segment = ip + (frame[ip]! & 0x0f) * 4;
  // Ports (4 bytes), sequence and acknowledgement numbers (8), data offset (1), then the flags.
  if (frame.length < segment + 14) return undefined;
  const flags = frame[segment + 13]!;
  if ((flags & (syn | ack | reset)) !== (syn | ack)) return undefined;
  return { guestPort: frame.readUInt16BE(segment), peerPort: frame.readUInt16BE(segment + 2) };
}
