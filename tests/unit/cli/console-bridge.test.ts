// The raw bridge between a terminal and a console: bytes both ways, Ctrl-] detaches (what came before it
// in the same read still goes, nothing after it), raw mode is restored however the session ends.
import { describe, expect, it } from 'vitest';
import type { TerminalInput } from '../../../harness/cli/cli-io.ts';
import { bridgeTerminal, detachKey, type GuestChannel } from '../../../harness/cli/console-bridge.ts';

function fakeKeyboard() {
  const listeners = new Set<(chunk: Uint8Array) => void>();
  const rawModes: boolean[] = [];
  const input: TerminalInput = {
    isTTY: true,
    setRawMode: (raw) => rawModes.push(raw),
    onData(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return {
    input,
    rawModes,
    listening: () => listeners.size,
    type(bytes: string | number[]) {
      const chunk = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Uint8Array.from(bytes);
      for (const listener of [...listeners]) listener(chunk);
    },
  };
}

function fakeGuest() {
  const listeners = new Set<(chunk: Uint8Array) => void>();
  const received: Buffer[] = [];
  let end: () => void = () => undefined;
  const channel: GuestChannel = {
    write: (data) => received.push(Buffer.from(data)),
    onData(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    ended: new Promise<void>((resolve) => (end = resolve)),
  };
  return {
    channel,
    received: () => Buffer.concat(received).toString('latin1'),
    listening: () => listeners.size,
    say(bytes: Uint8Array) {
      for (const listener of [...listeners]) listener(bytes);
    },
    end: () => end(),
  };
}

describe('bridgeTerminal', () => {
  it('passes typed bytes (Ctrl-C included) to the guest and guest bytes to the terminal, in raw mode, until Ctrl-]', async () => {
    const keyboard = fakeKeyboard();
    const guest = fakeGuest();
    let shown = '';
    const session = bridgeTerminal(guest.channel, { input: keyboard.input, write: (text) => (shown += text) });
    expect(keyboard.rawModes).toEqual([true]);

    keyboard.type('echo hi\r');
    keyboard.type([0x03]);
    guest.say(Buffer.from('hi\r\n# '));
    expect(guest.received()).toBe('echo hi\r\x03');
    expect(shown).toBe('hi\r\n# ');

    keyboard.type([0x6c, 0x73, detachKey, 0x0d]);
    await expect(session).resolves.toBe('detached');
    // `ls` before the key went to the guest; the Enter after it did not.
    expect(guest.received()).toBe('echo hi\r\x03ls');
    expect(keyboard.rawModes).toEqual([true, false]);
    expect(keyboard.listening()).toBe(0);
    expect(guest.listening()).toBe(0);

    guest.say(Buffer.from('late'));
    expect(shown).toBe('hi\r\n# ');
  });

  it('ends when the guest side ends, and restores the terminal', async () => {
    const keyboard = fakeKeyboard();
    const guest = fakeGuest();
    const session = bridgeTerminal(guest.channel, { input: keyboard.input, write: () => undefined });
    guest.end();
    await expect(session).resolves.toBe('closed');
    expect(keyboard.rawModes).toEqual([true, false]);
    expect(keyboard.listening()).toBe(0);
  });

  it('shows a UTF-8 character split across two guest chunks whole', async () => {
    const keyboard = fakeKeyboard();
    const guest = fakeGuest();
    let shown = '';
    const session = bridgeTerminal(guest.channel, { input: keyboard.input, write: (text) => (shown += text) });
    const bytes = Buffer.from('≥ ok', 'utf8');
    guest.say(bytes.subarray(0, 1));
    guest.say(bytes.subarray(1));
    keyboard.type([detachKey]);
    await session;
    expect(shown).toBe('≥ ok');
    expect(shown).not.toContain('\ufffd');
  });
});
