// The raw byte channel under a console: a pty around QEMU, an SSH shell, or a fake in tests.
// It knows nothing of patterns; the expecter sits on top of any transport.

export interface TransportExit {
  exitCode: number | null;
  signal: number | null;
}

export interface ConsoleTransport {
  /** Sends bytes to the guest. */
  write(data: string | Uint8Array): void;
  /** Subscribes to raw bytes from the guest; returns an unsubscribe function. */
  onData(listener: (chunk: Uint8Array) => void): () => void;
  /** Subscribes to the end of the stream (QEMU exited, channel closed); returns an unsubscribe function. */
  onExit(listener: (exit: TransportExit) => void): () => void;
}
