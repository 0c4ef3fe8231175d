// Serves a kept-running VM's serial console on a unix socket for `harness attach`. The socket lives in
// the run's private 0700 dir and is itself 0600; attach.json in the run's log folder says where it is.
// Protocol: the client's first line is `attach` or `stop`; the server answers one line (`ok`, `busy …`,
// `stopping`); after `ok` the socket carries raw console bytes both ways.
import { chmod, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { ConsoleTransport } from '../console/console-transport.ts';
import { attachPointerFile } from '../boot/run-directory.ts';


export interface AttachPointer {
  /** Unix socket serving the console. */
  socket: string;
  /** The `harness boot --keep-running` process keeping the VM. */
  pid: number;
  name: string;
  logDir: string;
}

export interface ConsoleServerOptions {
  socketPath: string;
  logDir: string;
  name: string;
  transport: ConsoleTransport;
  /** What a client sees first: the console's current line, usually the prompt. */
  greeting: () => string;
  /** `stop` asks for this; the client hears `stopped` once it resolves. */
  onStop: () => Promise<void>;
  /** While a client is attached its terminal answers the guest's queries, not the harness. */
  onAttachedChange?: (attached: boolean) => void;
}

/** How long a client has to send its first line. */
const helloTimeoutMs = 5000;
const maxHelloBytes = 64;
/** How long close() waits for clients to hang up before dropping them. */
const closeGraceMs = 2000;

export class ConsoleServer {
  private readonly sockets = new Set<Socket>();
  private attached: Socket | undefined;
  private accepting = true;

  private constructor(
    private readonly server: Server,
    private readonly options: ConsoleServerOptions,
  ) {
    server.on('connection', (socket) => this.accept(socket));
    options.transport.onExit(() => this.attached?.end());
  }

  static async listen(options: ConsoleServerOptions): Promise<ConsoleServer> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // The run dir is 0700 already, so nobody else could connect in between; 0600 says so on the socket too.
    await chmod(options.socketPath, 0o600);
    const pointer: AttachPointer = { socket: options.socketPath, pid: process.pid, name: options.name, logDir: options.logDir };
    await writeFile(join(options.logDir, attachPointerFile), `${JSON.stringify(pointer, null, 2)}\n`, { mode: 0o600 });
    return new ConsoleServer(server, options);
  }

  get pointerPath(): string {
    return join(this.options.logDir, attachPointerFile);
  }

  /** Takes no new clients, hangs up on the attached one and removes attach.json; a pending `stop` still gets its answer. */
  async stopAccepting(): Promise<void> {
    this.accepting = false;
    this.server.close();
    this.attached?.end();
    await rm(this.pointerPath, { force: true });
  }

  /** Waits for every client to hang up (a `stop` client hears `stopped` first), dropping them after a grace period. */
  async close(): Promise<void> {
    if (this.accepting) await this.stopAccepting();
    const until = Date.now() + closeGraceMs;
    while (this.sockets.size > 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
    for (const socket of this.sockets) socket.destroy();
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    if (!this.accepting) {
      socket.end('busy the VM is stopping\n');
      return;
    }
    let hello = Buffer.alloc(0);
    const timer = setTimeout(() => socket.destroy(), helloTimeoutMs);
    const onHello = (chunk: Buffer) => {
      hello = Buffer.concat([hello, chunk]);
      const newline = hello.indexOf(0x0a);
      if (newline < 0) {
        if (hello.length > maxHelloBytes) socket.destroy();
        return;
      }
      clearTimeout(timer);
      socket.off('data', onHello);
      const command = hello.subarray(0, newline).toString('utf8').trim();
      const rest = hello.subarray(newline + 1);
      if (command === 'attach') this.attach(socket, rest);
      else if (command === 'stop') void this.stop(socket);
      else socket.end(`error unknown request ${JSON.stringify(command.slice(0, 20))}\n`);
    };
    socket.on('data', onHello);
  }

  private attach(socket: Socket, typedAhead: Buffer): void {
    if (this.attached) {
      socket.end('busy another terminal is attached to this console; detach it first (Ctrl-])\n');
      return;
    }
    this.attached = socket;
    this.options.onAttachedChange?.(true);
    const transport = this.options.transport;
    socket.write(`ok\n${this.options.greeting()}`);
    const unsubscribe = transport.onData((chunk) => socket.write(chunk));
    if (typedAhead.length > 0) transport.write(typedAhead);
    socket.on('data', (chunk: Buffer) => transport.write(chunk));
    socket.on('close', () => {
      unsubscribe();
      if (this.attached === socket) {
        this.attached = undefined;
        this.options.onAttachedChange?.(false);
      }
    });
  }

  private async stop(socket: Socket): Promise<void> {
    socket.write('stopping\n');
    try {
      await this.options.onStop();
      socket.end('stopped\n');
    } catch (error) {
      socket.end(`error ${(error as Error).message.split('\n')[0]}\n`);
    }
  }
}
