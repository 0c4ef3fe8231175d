// ConsoleTransport over node-pty: the child (QEMU, or a shell in tests) sees a real terminal.
// Note: node-pty can drop the last output when the child exits; keep a loss-free log elsewhere
// (QEMU's chardev logfile) when the tail matters.
import * as pty from 'node-pty';
import type { ConsoleTransport, TransportExit } from './console-transport.ts';
import { type DroppedWrites, PtyWriter } from './pty-writer.ts';
import { ReadCoalescer } from './read-coalescer.ts';

/** What node-pty's UnixTerminal has besides IPty: its master fd, and a 'close' event once the fd is shut. */
type UnixPty = pty.IPty & { fd?: number; on?: (event: 'close', listener: () => void) => void };

export interface PtySpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  columns?: number;
  rows?: number;
  /** TERM for the child (default xterm-256color). */
  termName?: string;
  /**
   * After each read, leave the pty unread this long so the child's next writes arrive as one read
   * (default 0: every read at once). See read-coalescer.ts; bench/results.md has the CPU it saves.
   */
  coalesceMs?: number;
  /** The longest window while output streams (default coalesceMs: a fixed window); see read-coalescer.ts. */
  coalesceMaxMs?: number;
}

/** How long asyncDispose waits after SIGHUP before SIGKILL, and after SIGKILL before giving up. */
const disposeGraceMs = 2000;

export class PtyTransport implements ConsoleTransport, AsyncDisposable {
  readonly exited: Promise<TransportExit>;
  private exitInfo: TransportExit | undefined;
  private readonly dataListeners = new Set<(chunk: Uint8Array) => void>();
  private readonly exitListeners = new Set<(exit: TransportExit) => void>();
  /** Our own writer on the master fd: node-pty's prints "Unhandled pty write error EBADF" for a write racing the exit. */
  private readonly writer: PtyWriter | undefined;

  private readonly coalescer: ReadCoalescer;

  private constructor(
    private readonly child: pty.IPty,
    coalesceMs: number,
    coalesceMaxMs: number,
  ) {
    this.coalescer = new ReadCoalescer(child, coalesceMs, undefined, coalesceMaxMs);
    const unix = child as UnixPty;
    if (typeof unix.fd === 'number') {
      const writer = new PtyWriter(unix.fd);
      this.writer = writer;
      unix.on?.('close', () => writer.close());
    }
    child.onData((data: string | Buffer) => {
      const chunk = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      for (const listener of this.dataListeners) listener(chunk);
      this.coalescer.afterRead(chunk.length);
    });
    this.exited = new Promise((resolve) => {
      child.onExit(({ exitCode, signal }) => {
        this.coalescer.stop();
        const exit: TransportExit = { exitCode, signal: signal ? signal : null };
        this.exitInfo = exit;
        this.writer?.close();
        for (const listener of this.exitListeners) listener(exit);
        resolve(exit);
      });
    });
  }

  static spawn(file: string, args: readonly string[], options: PtySpawnOptions = {}): PtyTransport {
    const child = pty.spawn(file, [...args], {
      name: options.termName ?? 'xterm-256color',
      cols: options.columns ?? 80,
      rows: options.rows ?? 24,
      cwd: options.cwd ?? process.cwd(),
      env: options.env ?? process.env,
      // Bytes, not strings: the normaliser decodes UTF-8 itself, across chunk boundaries.
      encoding: null,
    } as pty.IPtyForkOptions);
    return new PtyTransport(child, options.coalesceMs ?? 0, options.coalesceMaxMs ?? options.coalesceMs ?? 0);
  }

  get pid(): number {
    return this.child.pid;
  }

  get exitStatus(): TransportExit | undefined {
    return this.exitInfo;
  }

  write(data: string | Uint8Array): void {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    this.coalescer.wrote();
    if (this.writer) return this.writer.write(bytes);
    if (!this.exitInfo) this.child.write(bytes);
  }

  /** Writes that never reached the child because it had gone (counted for the report, never printed). */
  get droppedWrites(): DroppedWrites {
    return this.writer?.dropped ?? { writes: 0, bytes: 0, reason: undefined };
  }

  onData(listener: (chunk: Uint8Array) => void): () => void {
    this.dataListeners.add(listener);
    return () => this.dataListeners.delete(listener);
  }

  onExit(listener: (exit: TransportExit) => void): () => void {
    this.exitListeners.add(listener);
    if (this.exitInfo) listener(this.exitInfo);
    return () => this.exitListeners.delete(listener);
  }

  /** Signals the child; does nothing once it has exited. */
  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.exitInfo) return;
    try {
      this.child.kill(signal);
    } catch {
      // Already gone between the check and the kill.
    }
  }

  /** Hangs up (SIGHUP, what closing a terminal does: QEMU exits on it, interactive shells too), then SIGKILL. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.exitInfo) return;
    this.kill('SIGHUP');
    if (await settlesWithin(this.exited, disposeGraceMs)) return;
    this.kill('SIGKILL');
    await settlesWithin(this.exited, disposeGraceMs);
  }
}

async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
