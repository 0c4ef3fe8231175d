// Spots a bootloader menu counting down to its default entry (GRUB, SYSLINUX/ISOLINUX) in the raw
// console bytes, so the harness can press Enter and boot that entry at once instead of waiting out the
// timeout (3–5 s of every boot of an installer ISO). The words are written contiguously by both loaders,
// between cursor moves, so a search over the bytes (with a tail kept across reads) finds them.

/** What each loader prints while it counts down to its default entry. */
const countdownTexts = ['will be executed automatically in', 'Automatic boot in'];
const keep = Math.max(...countdownTexts.map((text) => text.length)) - 1;

export class MenuCountdownDetector {
  private tail = '';
  private seen: string | undefined;

  /** Feeds raw console bytes; returns the countdown text the first time it shows, then undefined. */
  feed(chunk: Uint8Array): string | undefined {
    if (this.seen !== undefined) return undefined;
    const text = this.tail + Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('latin1');
    for (const countdown of countdownTexts) {
      if (text.includes(countdown)) {
        this.seen = countdown;
        return countdown;
      }
    }
    this.tail = text.slice(-keep);
    return undefined;
  }

  /** The countdown text seen, if any. */
  get found(): string | undefined {
    return this.seen;
  }
}
