// A ConsoleTransport driven by hand, for tests and for replaying captures: push bytes, end the stream,
// and read what was written to the guest.
import type { ConsoleTransport, TransportExit } from './console-transport.ts';

export class FakeTransport implements ConsoleTransport {
  /** Everything written to the "guest", in order. */
  readonly written: string[] = [];
  private readonly dataListeners = new Set<(chunk: Uint8Array) => void>();
  private readonly exitListeners = new Set<(exit: TransportExit) => void>();
  private ended: TransportExit | undefined;
  private readonly encoder = new TextEncoder();

  /** Called on every write, e.g. to script guest replies. */
  onWrite: ((data: string) => void) | undefined;

  write(data: string | Uint8Array): void {
    const text = typeof data === 'string' ? data : Buffer.from(data).toString('utf8');
    this.written.push(text);
    this.onWrite?.(text);
  }

  onData(listener: (chunk: Uint8Array) => void): () => void {
    this.dataListeners.add(listener);
    return () => this.dataListeners.delete(listener);
  }

  onExit(listener: (exit: TransportExit) => void): () => void {
    this.exitListeners.add(listener);
    if (this.ended) listener(this.ended);
    return () => this.exitListeners.delete(listener);
  }

  /** Delivers bytes from the "guest". */
  push(data: string | Uint8Array): void {
    if (this.ended) throw new Error('FakeTransport: push after end');
    const chunk = typeof data === 'string' ? this.encoder.encode(data) : data;
    for (const listener of this.dataListeners) listener(chunk);
  }

  /** Ends the stream, as when QEMU exits. Idempotent. */
  end(exit: TransportExit = { exitCode: 0, signal: null }): void {
    if (this.ended) return;
    this.ended = exit;
    for (const listener of this.exitListeners) listener(exit);
  }

  get hasEnded(): boolean {
    return this.ended !== undefined;
  }
}
