// Text that has left a match view's search window but is still owed to the next match's `before`: after a
// long unmatched stream that is megabytes. Kept as UTF-16 in Buffers, outside the JS heap: held as strings,
// every scavenge copied it and the old generation had to take it in (11-13 % of the engine's time was the
// garbage collector, 4 % without this text).

/** Storage grows in blocks of at least this many bytes (a block is never moved once written). */
const blockBytes = 1024 * 1024;

export class SpilledText {
  private readonly blocks: Buffer[] = [];
  /** Bytes written to each block. */
  private readonly filled: number[] = [];
  /** Characters (UTF-16 units) held. */
  private units = 0;

  get length(): number {
    return this.units;
  }

  append(text: string): void {
    if (text.length === 0) return;
    const bytes = text.length * 2;
    let last = this.blocks.length - 1;
    if (last < 0 || this.blocks[last]!.length - this.filled[last]! < bytes) {
      // The rest of the last block is left unused rather than a string split across two.
      this.blocks.push(Buffer.allocUnsafe(Math.max(blockBytes, bytes)));
      this.filled.push(0);
      last++;
    }
    const at = this.filled[last]!;
    this.filled[last] = at + this.blocks[last]!.write(text, at, 'utf16le');
    this.units += text.length;
  }

  /** The first `units` characters appended (all of them by default), as one string. */
  text(units = this.units): string {
    const parts: string[] = [];
    let bytesLeft = units * 2;
    for (let b = 0; b < this.blocks.length && bytesLeft > 0; b++) {
      const take = Math.min(bytesLeft, this.filled[b]!);
      parts.push(this.blocks[b]!.toString('utf16le', 0, take));
      bytesLeft -= take;
    }
    return parts.length === 1 ? parts[0]! : parts.join('');
  }
}
