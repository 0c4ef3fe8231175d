// While a person's terminal is attached to the console it answers the guest's terminal queries; the
// harness stays quiet then, so the guest never gets two answers, and answers again after the detach.
// "Quiet" is checked at a deterministic point: after a later query was answered, not after a sleep.
import { describe, expect, it } from 'vitest';
import { FakeTransport } from '../../../harness/console/fake-transport.ts';
import { SerialConsole } from '../../../harness/console/serial-console.ts';

describe('SerialConsole.answeringTerminalQueries', () => {
  it('is on by default, off while attached, on again after', async () => {
    const transport = new FakeTransport();
    using console = new SerialConsole(transport);
    transport.push('# \x1b[6n');
    await console.screenText();
    expect(transport.written).toEqual(['\x1b[1;3R']);

    console.answeringTerminalQueries = false;
    transport.push('\r\n# \x1b[6n');
    await console.screenText();
    expect(transport.written).toEqual(['\x1b[1;3R']);

    // The query on row 2 got no answer, not a late one: the row 3 query's answer is the only new reply.
    console.answeringTerminalQueries = true;
    transport.push('\r\n# \x1b[6n');
    await console.screenText();
    expect(transport.written).toEqual(['\x1b[1;3R', '\x1b[3;3R']);
  });
});
