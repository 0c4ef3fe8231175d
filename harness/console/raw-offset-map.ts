// Where a character of the normalised text came from in the raw stream, worked out only when asked. Most
// characters are never asked about (a match's end, a failure line's end are), so instead of a raw-offset
// map carried along with every piece of text (a record per escape sequence, 25 % of the normaliser's time
// and as much again in every stage after it), the raw bytes are kept with a checkpoint of the parser's state
// every few KiB, and a lookup reads the bytes again from the checkpoint before the character.

/** A checkpoint: the parser's state before raw byte `rawStart`, when `textStart` characters had been put out. */
interface Checkpoint<State> {
  textStart: number;
  rawStart: number;
  state: State;
}

/**
 * Reads `bytes` (starting at raw offset `rawStart`) again from `state`, and returns the raw offset just past
 * character `index` of the output, whose first character is number `textStart`; `ended` when the stream
 * ended after these bytes (the parser's end-of-stream output counts too).
 */
export type Replay<State> = (state: State, rawStart: number, bytes: Uint8Array, ended: boolean, textStart: number, index: number) => number;

/** A checkpoint every this many raw bytes: a lookup reads at most this much again (plus one read's bytes). */
const checkpointBytes = 4096;

export class RawOffsetMap<State> {
  /** Raw bytes from `bytesFrom` on; `bytes[0]` is raw offset `bytesFrom`. */
  private bytes = new Uint8Array(64 * 1024);
  private bytesFrom = 0;
  private bytesEnd = 0;
  private readonly checkpoints: Checkpoint<State>[] = [];
  /** Checkpoints before this index are forgotten. */
  private firstCheckpoint = 0;
  private ended = false;

  constructor(private readonly replay: Replay<State>) {}

  /**
   * Keeps `chunk`, before the parser reads it; `textStart` is how many characters were put out before it,
   * and the parser gives its state now when a checkpoint is due.
   */
  record(chunk: Uint8Array, textStart: number, parser: { checkpointState(): State }): void {
    const last = this.checkpoints.at(-1);
    if (!last || this.bytesEnd - last.rawStart >= checkpointBytes) {
      this.checkpoints.push({ textStart, rawStart: this.bytesEnd, state: parser.checkpointState() });
    }
    if (this.bytesEnd - this.bytesFrom + chunk.length > this.bytes.length) this.makeRoom(chunk.length);
    this.bytes.set(chunk, this.bytesEnd - this.bytesFrom);
    this.bytesEnd += chunk.length;
  }

  /** The stream has ended: the parser's end-of-stream output belongs to the last checkpoint. */
  end(): void {
    this.ended = true;
  }

  /** Raw byte offset just past character `index` (one that has been put out and not forgotten). */
  rawEndOf(index: number): number {
    const c = this.checkpointFor(index);
    const checkpoint = this.checkpoints[c]!;
    const bytes = this.bytes.subarray(checkpoint.rawStart - this.bytesFrom, this.bytesEnd - this.bytesFrom);
    return this.replay(checkpoint.state, checkpoint.rawStart, bytes, this.ended, checkpoint.textStart, index);
  }

  /** Characters before `index` will not be asked about again: their bytes can go. */
  forgetBefore(index: number): void {
    const checkpoints = this.checkpoints;
    if (checkpoints.length === 0 || index <= checkpoints[this.firstCheckpoint]!.textStart) return;
    const keep = this.checkpointFor(index);
    if (keep === this.firstCheckpoint) return;
    this.firstCheckpoint = keep;
    // Dropped from the list in big steps, so the splice stays proportional to what was recorded.
    if (keep >= 256 && keep * 2 >= checkpoints.length) {
      checkpoints.splice(0, keep);
      this.firstCheckpoint = 0;
    }
  }

  /** The last live checkpoint at or before character `index`: the replay from there puts it out. */
  private checkpointFor(index: number): number {
    const checkpoints = this.checkpoints;
    let lo = this.firstCheckpoint;
    let hi = checkpoints.length - 1;
    if (hi < lo || checkpoints[lo]!.textStart > index) {
      throw new RangeError(`Raw offset of character ${index} asked for, but characters before ${checkpoints[lo]?.textStart ?? 0} were forgotten`);
    }
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (checkpoints[mid]!.textStart <= index) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Makes room for `more` bytes: the forgotten ones go first (compacting), and the storage grows when that is not enough. */
  private makeRoom(more: number): void {
    const liveFrom = this.checkpoints[this.firstCheckpoint]?.rawStart ?? this.bytesEnd;
    const live = this.bytes.subarray(liveFrom - this.bytesFrom, this.bytesEnd - this.bytesFrom);
    const needed = live.length + more;
    if (needed * 2 > this.bytes.length) {
      const bigger = new Uint8Array(Math.max(this.bytes.length * 2, needed * 2));
      bigger.set(live);
      this.bytes = bigger;
    } else {
      this.bytes.copyWithin(0, liveFrom - this.bytesFrom, this.bytesEnd - this.bytesFrom);
    }
    this.bytesFrom = liveFrom;
  }
}
