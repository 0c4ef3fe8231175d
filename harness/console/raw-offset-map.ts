// Where a character of the normalised text came from in the raw stream, worked out only when asked. Most
// characters are never asked about (a match's end, a failure line's end are), so instead of a raw-offset
// map carried along with every piece of text (a record per escape sequence, 25 % of the normaliser's time
// and as much again in every stage after it), the raw bytes are kept with a checkpoint of the parser's state
// every few KiB, and a lookup reads the bytes again from the checkpoint before the character.

import { type Segments, rawEndIn } from './text-segments.ts';

/** A checkpoint: the parser's state before raw byte `rawStart`, when `textStart` characters had been put out. */
interface Checkpoint<State> {
  textStart: number;
  rawStart: number;
  state: State;
}

/**
 * Reads `bytes` (starting at raw offset `rawStart`) again from `state`, and returns the raw-offset map of the
 * output (see text-segments.ts), whose first character is number `textStart`, with offsets counted from the
 * start of all output; `ended` when the stream ended after these bytes (the end-of-stream output counts too).
 */
export type Replay<State> = (state: State, rawStart: number, bytes: Uint8Array, ended: boolean, textStart: number) => { segments: Segments; textEnd: number };

/** By default a checkpoint every this many raw bytes: a lookup reads at most this much again (plus one read's bytes). */
export const defaultCheckpointBytes = 4096;

export class RawOffsetMap<State> {
  /** Raw bytes from `bytesFrom` on; `bytes[0]` is raw offset `bytesFrom`. */
  private bytes = new Uint8Array(64 * 1024);
  private bytesFrom = 0;
  private bytesEnd = 0;
  private readonly checkpoints: Checkpoint<State>[] = [];
  /** Checkpoints before this index are forgotten. */
  private firstCheckpoint = 0;
  private ended = false;
  /** The first read starting at or after this raw offset starts a checkpoint. */
  private nextCheckpointAt = 0;
  /** The last replay: from which checkpoint, its map, and the output it covered (final up to there). */
  private replayed: { checkpoint: Checkpoint<State>; segments: Segments; textEnd: number } | undefined;

  constructor(
    private readonly replay: Replay<State>,
    private readonly checkpointBytes = defaultCheckpointBytes,
  ) {}

  /**
   * Keeps `chunk`, before the parser reads it; `textStart` is how many characters were put out before it,
   * and the parser gives its state now when a checkpoint is due.
   */
  record(chunk: Uint8Array, textStart: number, parser: { checkpointState(): State }): void {
    if (this.bytesEnd >= this.nextCheckpointAt) {
      this.checkpoints.push({ textStart, rawStart: this.bytesEnd, state: parser.checkpointState() });
      this.nextCheckpointAt = this.bytesEnd + this.checkpointBytes;
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
    let replayed = this.replayed;
    if (replayed?.checkpoint !== checkpoint || index >= replayed.textEnd) {
      // Up to the next checkpoint: the characters from here to its textStart came out of these bytes.
      const next = this.checkpoints[c + 1];
      const rawEnd = next ? next.rawStart : this.bytesEnd;
      const bytes = this.bytes.subarray(checkpoint.rawStart - this.bytesFrom, rawEnd - this.bytesFrom);
      const { segments, textEnd } = this.replay(checkpoint.state, checkpoint.rawStart, bytes, !next && this.ended, checkpoint.textStart);
      replayed = this.replayed = { checkpoint, segments, textEnd };
    }
    if (index >= replayed.textEnd) throw new RangeError(`Raw offset of character ${index} asked for, but only ${replayed.textEnd} characters were put out`);
    return rawEndIn(replayed.segments, index);
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
