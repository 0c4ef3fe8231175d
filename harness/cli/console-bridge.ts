// Hands a console to the user's terminal in raw mode: typed bytes go to the guest, guest bytes to the
// terminal, until the detach key (Ctrl-]) is typed or the console ends.
import type { TerminalInput } from './cli-io.ts';

/** Ctrl-] (0x1d), as telnet and `virsh console` use: rare in a shell session and easy to type. */
export const detachKey = 0x1d;
export const detachKeyName = 'Ctrl-]';

/** The guest side of a console: a VM's transport, or the socket of a kept-running VM. */
export interface GuestChannel {
  write(data: Uint8Array): void;
  /** Subscribes to bytes from the guest; returns an unsubscribe function. */
  onData(listener: (chunk: Uint8Array) => void): () => void;
  /** Resolves when the channel ends (QEMU exited, the socket closed). */
  ended: Promise<void>;
}

export interface TerminalOutput {
  input: TerminalInput;
  write(text: string): void;
}

/** How a session ended: the user typed the detach key, or the guest side went away. */
export type BridgeEnd = 'detached' | 'closed';

export async function bridgeTerminal(guest: GuestChannel, terminal: TerminalOutput): Promise<BridgeEnd> {
  // Streaming decode: a UTF-8 character split across two chunks still arrives whole.
  const decoder = new TextDecoder('utf-8');
  let finish: (end: BridgeEnd) => void = () => undefined;
  const ended = new Promise<BridgeEnd>((resolve) => (finish = resolve));
  const unsubscribeGuest = guest.onData((chunk) => terminal.write(decoder.decode(chunk, { stream: true })));
  let detached = false;
  const unsubscribeInput = terminal.input.onData((chunk) => {
    if (detached) return;
    const at = chunk.indexOf(detachKey);
    if (at < 0) {
      guest.write(chunk);
      return;
    }
    // What was typed before the key still goes; nothing after it does.
    if (at > 0) guest.write(chunk.subarray(0, at));
    detached = true;
    finish('detached');
  });
  void guest.ended.then(() => finish('closed'));
  terminal.input.setRawMode(true);
  try {
    return await ended;
  } finally {
    unsubscribeInput();
    unsubscribeGuest();
    terminal.input.setRawMode(false);
    const rest = decoder.decode();
    if (rest) terminal.write(rest);
  }
}
