// The console answers a guest's cursor-position query like a terminal, so busybox's line editor (which
// asks after every prompt) does not take the next typed bytes for the answer.
import { describe, expect, it } from 'vitest';
import { FakeTransport } from '../../../harness/console/fake-transport.ts';
import { SerialConsole } from '../../../harness/console/serial-console.ts';
import { sleep } from '../../../harness/util/clock.ts';

async function repliesTo(output: string, options: { screen?: false; answerTerminalQueries?: boolean } = {}): Promise<string[]> {
  const transport = new FakeTransport();
  using _console = new SerialConsole(transport, options);
  transport.push(output);
  await sleep(50);
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
