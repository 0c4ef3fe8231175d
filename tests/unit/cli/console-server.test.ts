// The console server behind `harness boot --keep-running`, on a real unix socket over a fake transport:
// 0600 socket and attach.json, greeting then raw bytes both ways, one terminal at a time, `stop`.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { attachPointerFile } from '../../../harness/boot/run-directory.ts';
import { ConsoleServer } from '../../../harness/cli/console-server.ts';
import { FakeTransport } from '../../../harness/console/fake-transport.ts';
import { sleep } from '../../../harness/util/clock.ts';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'console-server-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function client(path: string, hello: string) {
  const socket: Socket = connect(path);
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.write(hello);
  return {
    socket,
    closed,
    received: () => received,
    async waitFor(text: string) {
      for (let i = 0; i < 200 && !received.includes(text); i++) await sleep(10);
      expect(received).toContain(text);
    },
  };
}

async function start(transport: FakeTransport, onStop: () => Promise<void> = async () => undefined) {
  const attachedChanges: boolean[] = [];
  const server = await ConsoleServer.listen({
    socketPath: join(dir, 'console.sock'),
    logDir: dir,
    name: 'unit-run',
    transport,
    greeting: () => '<hp-TEST># ',
    onStop,
    onAttachedChange: (attached) => attachedChanges.push(attached),
  });
  return { server, attachedChanges };
}

describe('ConsoleServer', () => {
  it('serves the console on a 0600 socket named in a 0600 attach.json; greeting, then bytes both ways', async () => {
    const transport = new FakeTransport();
    const { server, attachedChanges } = await start(transport);
    expect((await stat(join(dir, 'console.sock'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, attachPointerFile))).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(join(dir, attachPointerFile), 'utf8'))).toEqual({ socket: join(dir, 'console.sock'), pid: process.pid, name: 'unit-run', logDir: dir });

    const terminal = client(join(dir, 'console.sock'), 'attach\nls');
    await terminal.waitFor('ok\n<hp-TEST># ');
    expect(attachedChanges).toEqual([true]);
    // Bytes typed right behind the request line are not lost.
    for (let i = 0; i < 100 && transport.written.join('') !== 'ls'; i++) await sleep(10);
    terminal.socket.write('\r');
    transport.push('\r\nbin etc\r\n<hp-TEST># ');
    await terminal.waitFor('bin etc');
    for (let i = 0; i < 100 && transport.written.join('') !== 'ls\r'; i++) await sleep(10);
    expect(transport.written.join('')).toBe('ls\r');

    terminal.socket.end();
    await terminal.closed;
    for (let i = 0; i < 100 && attachedChanges.length < 2; i++) await sleep(10);
    expect(attachedChanges).toEqual([true, false]);
    await server.close();
    await expect(stat(join(dir, attachPointerFile))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('takes one terminal at a time; a second one is told the console is busy', async () => {
    const transport = new FakeTransport();
    const { server } = await start(transport);
    const first = client(join(dir, 'console.sock'), 'attach\n');
    await first.waitFor('ok\n');
    const second = client(join(dir, 'console.sock'), 'attach\n');
    await second.closed;
    expect(second.received()).toMatch(/^busy another terminal is attached/);
    await server.close();
    await first.closed;
  });

  it('hangs up on the attached terminal when QEMU ends', async () => {
    const transport = new FakeTransport();
    const { server } = await start(transport);
    const terminal = client(join(dir, 'console.sock'), 'attach\n');
    await terminal.waitFor('ok\n');
    transport.end();
    await terminal.closed;
    await server.close();
  });

  it('`stop` answers stopping, runs onStop, and answers stopped once it is done', async () => {
    const transport = new FakeTransport();
    let release: () => void = () => undefined;
    let stopCalls = 0;
    const { server } = await start(transport, async () => {
      stopCalls++;
      await new Promise<void>((resolve) => (release = resolve));
    });
    const stopper = client(join(dir, 'console.sock'), 'stop\n');
    await stopper.waitFor('stopping\n');
    expect(stopCalls).toBe(1);
    expect(stopper.received()).not.toContain('stopped');
    release();
    await stopper.closed;
    expect(stopper.received()).toBe('stopping\nstopped\n');
    await server.close();
  });

  it('answers an unknown request with an error and hangs up', async () => {
    const { server } = await start(new FakeTransport());
    const stranger = client(join(dir, 'console.sock'), 'GET / HTTP/1.1\n');
    await stranger.closed;
    expect(stranger.received()).toMatch(/^error unknown request/);
    await server.close();
  });
});
