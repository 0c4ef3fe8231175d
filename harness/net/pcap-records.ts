// Pure: the frames of a pcap stream (what QEMU's `filter-dump` writes), read in pieces as the file grows.
// Only the classic format QEMU writes: a 24-byte file header, then a 16-byte header per frame.
import { HarnessError } from '../errors.ts';

export class PcapFormatError extends HarnessError {
  override readonly name = 'PcapFormatError';
  constructor(readonly magic: number) {
    super(`not a pcap stream (magic 0x${magic.toString(16).padStart(8, '0')}; QEMU's filter-dump writes 0xa1b2c3d4)`);
  }
}

const fileHeaderBytes = 24;
const recordHeaderBytes = 16;
const pcapMagic = 0xa1b2c3d4;

/** Feeds bytes in any pieces; returns the frames completed by each piece (each as captured, maybe cut at the snap length). */
export class PcapRecords {
  private pending: Buffer = Buffer.alloc(0);
  private littleEndian: boolean | undefined;

  push(bytes: Buffer): Buffer[] {
    this.pending = this.pending.length === 0 ? bytes : Buffer.concat([this.pending, bytes]);
    let offset = 0;
    if (this.littleEndian === undefined) {
      if (this.pending.length < fileHeaderBytes) return [];
      // QEMU writes the header in its own byte order: the magic says which.
      if (this.pending.readUInt32LE(0) === pcapMagic) this.littleEndian = true;
      else if (this.pending.readUInt32BE(0) === pcapMagic) this.littleEndian = false;
      else throw new PcapFormatError(this.pending.readUInt32BE(0));
      offset = fileHeaderBytes;
    }
    const frames: Buffer[] = [];
    while (this.pending.length - offset >= recordHeaderBytes) {
      const capturedBytes = this.littleEndian ? this.pending.readUInt32LE(offset + 8) : this.pending.readUInt32BE(offset + 8);
      const end = offset + recordHeaderBytes + capturedBytes;
      if (end > this.pending.length) break;
      frames.push(this.pending.subarray(offset + recordHeaderBytes, end));
      offset = end;
    }
    this.pending = this.pending.subarray(offset);
    return frames;
  }
}
