// The console answers a guest's cursor-position query like a terminal, so busybox's line editor (which
// asks after every prompt) does not take the next typed bytes for the answer. Assertions wait for a
// deterministic point (the screen view has processed every byte: a reply would have been written by then),
// never for a fixed sleep that a late reply would also pass.
import { describe, expect, it } from 'vitest';
import { FakeTransport } from '../../../harness/console/fake-transport.ts';
import { SerialConsole } from '../../../harness/console/serial-console.ts';

async function repliesTo(output: string, options: { screen?: false; answerTerminalQueries?: boolean } = {}): Promise<string[]> {
  const transport = new FakeTransport();
  using console = new SerialConsole(transport, options);
  transport.push(output);
  // Resolves once the emulator has parsed every byte pushed; it answers queries while parsing.
  await console.screenText();
  return transport.written;
}

describe('terminal queries', () => {
  it('answers ESC[6n with the cursor position after the prompt', async () => {
    const written = await repliesTo('\x1b[1;31m[\x1b]0;root@pre-nixos: ~\x07root@pre-nixos:~]#\x1b[0m \x1b[6n');
    expect(written).toEqual(['\x1b[1;21R']);
  });

  it('stays silent when told to, or without a screen view', async () => {
    expect(await repliesTo('# \x1b[6n', { answerTerminalQueries: false })).toEqual([]);
    expect(await repliesTo('# \x1b[6n', { screen: false })).toEqual([]);
  });
});
