// Records the serial console as an asciicast v2 file (`console.cast`), playable with `asciinema play`
// and the asciinema web player, with the real timing of when bytes arrived.
import { BatchedFileAppender } from '../util/batched-file-appender.ts';
import { monotonicNowMs } from '../util/clock.ts';

export interface AsciicastHeader {
  version: 2;
  width: number;
  height: number;
  /** Unix time in seconds of the start of the recording. */
  timestamp: number;
  title?: string;
  env?: Record<string, string>;
}

export interface AsciicastOptions {
  columns: number;
  rows: number;
  title?: string;
  /** Chunks arriving within this many ms of a burst's first chunk join its event (serial reads are 6–8 bytes). */
  coalesceMs?: number;
  /** Injected monotonic clock, in ms. */
  nowMs?: () => number;
  /** Wall-clock start, for the header's `timestamp`. */
  startedAt?: Date;
}

export const defaultCoalesceMs = 10;

/** Turns timed byte chunks into asciicast event lines; pure apart from the injected sink. */
export class AsciicastEncoder {
  // A streaming decoder keeps a multi-byte character split across two reads whole.
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });
  private pendingText = '';
  private pendingAtMs = 0;
  private lastSeconds = 0;

  constructor(
    private readonly emit: (line: string) => void,
    private readonly coalesceMs = defaultCoalesceMs,
  ) {}

  static headerLine(header: AsciicastHeader): string {
    return JSON.stringify(header);
  }

  /** `sinceStartMs`: when the chunk arrived, in ms since the recording started. */
  write(chunk: Uint8Array, sinceStartMs: number): void {
    const text = this.decoder.decode(chunk, { stream: true });
    if (this.pendingText && sinceStartMs - this.pendingAtMs > this.coalesceMs) this.flush();
    if (!text) return;
    if (!this.pendingText) this.pendingAtMs = sinceStartMs;
    this.pendingText += text;
  }

  /** A marker event (asciicast v2 `m`: players list them as chapters), after the output so far. */
  marker(label: string, sinceStartMs: number): void {
    this.flush();
    const seconds = Math.max(this.lastSeconds, Math.round(sinceStartMs * 1000) / 1e6);
    this.lastSeconds = seconds;
    this.emit(JSON.stringify([seconds, 'm', label]));
  }

  /** Emits what is pending, including any incomplete character (as U+FFFD). */
  end(sinceStartMs: number): void {
    const rest = this.decoder.decode();
    if (rest) {
      if (!this.pendingText) this.pendingAtMs = sinceStartMs;
      this.pendingText += rest;
    }
    this.flush();
  }

  private flush(): void {
    if (!this.pendingText) return;
    // Microsecond resolution; never earlier than the previous event so players do not reorder.
    const seconds = Math.max(this.lastSeconds, Math.round(this.pendingAtMs * 1000) / 1e6);
    this.lastSeconds = seconds;
    this.emit(JSON.stringify([seconds, 'o', this.pendingText]));
    this.pendingText = '';
  }
}

/** Writes `console.cast`; feed it every raw chunk from the console transport, then `close()`. */
export class AsciicastWriter {
  // Event lines are written in batches: a write per event cost more CPU than encoding it.
  private readonly file: BatchedFileAppender;
  private readonly encoder: AsciicastEncoder;
  private readonly nowMs: () => number;
  private readonly startMs: number;
  private closed = false;

  constructor(
    readonly path: string,
    options: AsciicastOptions,
  ) {
    this.nowMs = options.nowMs ?? monotonicNowMs;
    this.startMs = this.nowMs();
    this.file = new BatchedFileAppender(path, { truncate: true, mode: 0o644 });
    const header: AsciicastHeader = {
      version: 2,
      width: options.columns,
      height: options.rows,
      timestamp: Math.floor((options.startedAt ?? new Date()).getTime() / 1000),
      ...(options.title ? { title: options.title } : {}),
      env: { TERM: 'vt220', SHELL: '/bin/sh' },
    };
    this.file.append(`${AsciicastEncoder.headerLine(header)}\n`);
    this.encoder = new AsciicastEncoder((line) => this.file.append(`${line}\n`), options.coalesceMs ?? defaultCoalesceMs);
  }

  write(chunk: Uint8Array): void {
    if (this.closed) return;
    this.encoder.write(chunk, this.nowMs() - this.startMs);
  }

  /** Marks a point in the recording, e.g. where the second boot of a run starts. */
  marker(label: string): void {
    if (this.closed) return;
    this.encoder.marker(label, this.nowMs() - this.startMs);
  }

  /** Flushes and closes the file. Idempotent. */
  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.encoder.end(this.nowMs() - this.startMs);
      this.file.close();
    }
    return Promise.resolve();
  }
}
