// A small QMP client over a unix socket: one request at a time in flight per id, events collected.
import { connect, type Socket } from 'node:net';
import { HarnessError } from '../errors.ts';
import { Deadline } from '../util/deadline.ts';
import { sleep } from '../util/clock.ts';

export class QmpError extends HarnessError {
  override readonly name = 'QmpError';
  constructor(
    readonly command: string,
    readonly errorClass: string,
    readonly description: string,
  ) {
    super(`QMP command ${command} failed: ${errorClass}: ${description}`);
  }
}

export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
  timestamp?: { seconds: number; microseconds: number };
}

interface Pending {
  command: string;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

export class QmpClient {
  private buffer = '';
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private readonly eventListeners = new Set<(event: QmpEvent) => void>();
  private closedError: Error | undefined;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('close', () => this.failAll(new HarnessError('QMP connection closed')));
    socket.on('error', (error) => this.failAll(error));
  }

  /** Connects, retrying until QEMU has created the socket, then negotiates capabilities. */
  static async connect(socketPath: string, timeoutMs: number): Promise<QmpClient> {
    const deadline = Deadline.after(timeoutMs);
    let lastError: unknown;
    while (!deadline.expired) {
      try {
        const socket = await openSocket(socketPath);
        const client = new QmpClient(socket);
        await client.execute('qmp_capabilities');
        return client;
      } catch (error) {
        lastError = error;
        await sleep(25);
      }
    }
    throw new HarnessError(
      `QMP socket ${socketPath} not ready after ${timeoutMs} ms`,
      lastError instanceof Error ? lastError.message : undefined,
      { cause: lastError },
    );
  }

  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = String(this.nextId++);
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { command, resolve: resolve as (value: unknown) => void, reject });
      this.socket.write(`${JSON.stringify({ execute: command, arguments: args, id })}\n`);
    });
  }

  /** HMP through QMP. HMP reports errors inside a successful return string, so the text is checked here. */
  async human(commandLine: string): Promise<string> {
    const output = await this.execute<string>('human-monitor-command', { 'command-line': commandLine });
    if (/^Error:|^Could not|^unknown command/m.test(output)) {
      throw new QmpError(`human-monitor-command ${commandLine}`, 'HmpError', output.trim());
    }
    return output;
  }

  /** True once the connection is gone (QEMU exited or the client was closed): nothing more will answer. */
  get closed(): boolean {
    return this.closedError !== undefined;
  }

  onEvent(listener: (event: QmpEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  close(): void {
    this.failAll(new HarnessError('QMP connection closed'));
    this.socket.destroy();
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let newline: number;
    while ((newline = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, newline).trim();
      this.buffer = this.buffer.slice(newline + 1);
      if (line) this.onMessage(JSON.parse(line) as Record<string, unknown>);
    }
  }

  private onMessage(message: Record<string, unknown>): void {
    if (typeof message.event === 'string') {
      for (const listener of this.eventListeners) listener(message as unknown as QmpEvent);
      return;
    }
    const id = typeof message.id === 'string' ? message.id : undefined;
    const pending = id ? this.pending.get(id) : undefined;
    if (!pending || !id) return; // the greeting, or a reply nobody waits for
    this.pending.delete(id);
    if ('error' in message) {
      const error = message.error as { class?: string; desc?: string };
      pending.reject(new QmpError(pending.command, error.class ?? 'GenericError', error.desc ?? 'unknown error'));
    } else {
      pending.resolve(message.return);
    }
  }

  private failAll(error: Error): void {
    this.closedError ??= error;
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}

function openSocket(socketPath: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Reads the host ports of `hostfwd` rules from HMP `info usernet` (needed when the OS chose them). */
export function parseHostForwards(infoUsernet: string): { hostAddress: string; hostPort: number; guestPort: number }[] {
  const forwards: { hostAddress: string; hostPort: number; guestPort: number }[] = [];
  for (const line of infoUsernet.split('\n')) {
    // "  TCP[HOST_FORWARD]  12       127.0.0.1 38559       10.0.2.15    22     0     0"
    const match = /TCP\[HOST_FORWARD\]\s+\d+\s+(\S+)\s+(\d+)\s+(\S+)\s+(\d+)/.exec(line);
    if (match) forwards.push({ hostAddress: match[1]!, hostPort: Number(match[2]), guestPort: Number(match[4]) });
  }
  return forwards;
}
