// A loopback HTTP server for network boots: serves the files of one folder to the guest (through slirp's
// 10.0.2.2) and records every request, so a report shows what iPXE fetched and a 404 is known at once.
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, resolve, sep } from 'node:path';
import { type Clock, monotonicNowMs } from '../util/clock.ts';

export interface ChainRequest {
  method: string;
  /** The request target as the client sent it (path and query). */
  path: string;
  status: number;
  /** Body bytes sent (0 for HEAD). */
  bytes: number;
  durationMs: number;
  /** Clock time when the request arrived (monotonic ms by default). */
  startedAtMs: number;
}

export interface ChainServerOptions {
  /** The only folder served; nothing outside it is ever read. */
  root: string;
  clock?: Clock;
}

const mimeTypes: Readonly<Record<string, string>> = {
  '.ipxe': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.cfg': 'text/plain; charset=utf-8',
  '.json': 'application/json',
  '.html': 'text/html; charset=utf-8',
  '.iso': 'application/x-iso9660-image',
  '.efi': 'application/efi',
};

export function mimeTypeOf(fileName: string): string {
  return mimeTypes[extname(fileName).toLowerCase()] ?? 'application/octet-stream';
}

export class ChainServer implements AsyncDisposable {
  private readonly log: ChainRequest[] = [];
  private readonly listeners = new Set<(request: ChainRequest) => void>();
  private stopping: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    private readonly rootReal: string,
    private readonly clock: Clock,
    readonly port: number,
  ) {}

  /** Binds 127.0.0.1 on an OS-chosen port: parallel runs never race for a port, nothing else can connect. */
  static async start(options: ChainServerOptions): Promise<ChainServer> {
    const rootReal = await realpath(resolve(options.root));
    if (!(await stat(rootReal)).isDirectory()) throw new Error(`ChainServer root is not a folder: ${rootReal}`);
    const clock = options.clock ?? monotonicNowMs;
    let instance: ChainServer | undefined;
    const server = createServer((request, response) => {
      void instance?.handle(request, response);
    });
    await new Promise<void>((resolveListen, rejectListen) => {
      server.once('error', rejectListen);
      server.listen({ host: '127.0.0.1', port: 0 }, () => {
        server.off('error', rejectListen);
        resolveListen();
      });
    });
    instance = new ChainServer(server, rootReal, clock, (server.address() as AddressInfo).port);
    return instance;
  }

  get root(): string {
    return this.rootReal;
  }

  /** Every request so far, in arrival order of completion. */
  get requests(): readonly ChainRequest[] {
    return [...this.log];
  }

  /** Called with each request once its response has ended (or the connection closed). */
  onRequest(listener: (request: ChainRequest) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Idempotent; drops open keep-alive connections so stop never waits for a guest. */
  stop(): Promise<void> {
    this.stopping ??= new Promise<void>((resolveClose) => {
      this.server.close(() => resolveClose());
      this.server.closeAllConnections();
    });
    return this.stopping;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const startedAtMs = this.clock();
    const method = request.method ?? 'GET';
    const path = request.url ?? '/';
    let bytes = 0;
    response.once('close', () => {
      this.record({ method, path, status: response.statusCode, bytes, durationMs: this.clock() - startedAtMs, startedAtMs });
    });
    if (method !== 'GET' && method !== 'HEAD') {
      bytes = this.refuse(response, 405, 'Method Not Allowed', { Allow: 'GET, HEAD' });
      return;
    }
    const file = await this.locate(path);
    if (typeof file === 'number') {
      bytes = this.refuse(response, file, file === 403 ? 'Forbidden' : file === 400 ? 'Bad Request' : 'Not Found');
      return;
    }
    response.writeHead(200, { 'Content-Type': mimeTypeOf(file.path), 'Content-Length': String(file.size), 'Cache-Control': 'no-store' });
    if (method === 'HEAD') {
      response.end();
      return;
    }
    const stream = createReadStream(file.path);
    stream.on('data', (chunk) => {
      bytes += chunk.length;
    });
    stream.on('error', () => response.destroy());
    stream.pipe(response);
  }

  /** The file a request path names, or the status that refuses it. Symlinks may not lead out of the root. */
  private async locate(target: string): Promise<{ path: string; size: number } | 400 | 403 | 404> {
    // WHATWG URL parsing turns a backslash into `/`; a guest has no reason to send one.
    if (/\\|%5c/i.test(target)) return 400;
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(target, 'http://chain.invalid').pathname);
    } catch {
      // A target that does not decode is the client's error: answered 400 (and logged as a request).
      return 400;
    }
    if (pathname.includes('\0')) return 400;
    // Checked on the raw target too: URL parsing folds `/a/../b` before we see it.
    if (pathname.split('/').includes('..') || /(^|\/|%2f)(\.\.|%2e%2e|\.%2e|%2e\.)(\/|%2f|$)/i.test(target)) return 403;
    const candidate = resolve(this.rootReal, `.${pathname}`);
    if (candidate === this.rootReal) return 404;
    if (!candidate.startsWith(this.rootReal + sep)) return 403;
    try {
      const real = await realpath(candidate);
      if (!real.startsWith(this.rootReal + sep)) return 403;
      const info = await stat(real);
      return info.isFile() ? { path: real, size: info.size } : 404;
    } catch {
      // Nothing that resolves inside the root: answered 404 (and logged as a request).
      return 404;
    }
  }

  /** Answers with a short text body; returns the body bytes sent. */
  private refuse(response: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): number {
    const body = `${status} ${text}\n`;
    response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)), ...headers });
    if (response.req.method === 'HEAD') {
      response.end();
      return 0;
    }
    response.end(body);
    return Buffer.byteLength(body);
  }

  private record(request: ChainRequest): void {
    this.log.push(request);
    for (const listener of this.listeners) listener(request);
  }
}
