import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChainServer, mimeTypeOf } from '../../../harness/net/chain-server.ts';

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

// A raw request: fetch() would normalise `..` out of the path before it is sent.
function get(port: number, path: string, method = 'GET'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

let base: string;
let root: string;
let server: ChainServer;
const kernel = Buffer.alloc(300_000, 7);

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'chain-server-test-'));
  root = join(base, 'root');
  await mkdir(root);
  await writeFile(join(base, 'secret.key'), 'PRIVATE KEY');
  await writeFile(join(root, 'boot.ipxe'), '#!ipxe\nboot\n');
  await writeFile(join(root, 'vmlinuz'), kernel);
  await writeFile(join(root, 'initrd.img'), 'initrd');
  await symlink(join(base, 'secret.key'), join(root, 'escape'));
  await mkdir(join(root, 'sub'));
  server = await ChainServer.start({ root });
});

afterAll(async () => {
  await server.stop();
  await rm(base, { recursive: true, force: true });
});

describe('ChainServer', () => {
  it('listens on 127.0.0.1 on an OS-chosen port', () => {
    expect(server.port).toBeGreaterThan(0);
  });

  it.each([
    ['/boot.ipxe', 'text/plain; charset=utf-8', Buffer.from('#!ipxe\nboot\n')],
    ['/vmlinuz', 'application/octet-stream', kernel],
    ['/initrd.img', 'application/octet-stream', Buffer.from('initrd')],
  ])('serves %s with its MIME type and exact Content-Length', async (path, type, content) => {
    const response = await get(server.port, path);
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe(type);
    expect(response.headers['content-length']).toBe(String(content.length));
    expect(response.body.equals(content)).toBe(true);
  });

  it('answers HEAD with the length and no body', async () => {
    const response = await get(server.port, '/vmlinuz', 'HEAD');
    expect(response.status).toBe(200);
    expect(response.headers['content-length']).toBe(String(kernel.length));
    expect(response.body.length).toBe(0);
  });

  it.each([
    ['/../secret.key', 403],
    ['/%2e%2e/secret.key', 403],
    ['/sub/../../secret.key', 403],
    ['/sub/%2E%2E/%2e%2e/secret.key', 403],
    ['/..%2fsecret.key', 403],
    ['/escape', 403],
    ['/%00', 400],
    ['/..\\secret.key', 400],
    ['/missing.img', 404],
    ['/sub', 404],
    ['/', 404],
  ])('refuses %s with %i and never leaks what is outside the root', async (path, status) => {
    const response = await get(server.port, path);
    expect(response.status).toBe(status);
    expect(response.body.toString()).not.toContain('PRIVATE KEY');
  });

  it('refuses methods other than GET and HEAD', async () => {
    const response = await get(server.port, '/boot.ipxe', 'POST');
    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe('GET, HEAD');
  });

  it('records every request with path, status, bytes and duration, and tells listeners', async () => {
    const fresh = await ChainServer.start({ root });
    const heard: string[] = [];
    fresh.onRequest((request) => heard.push(`${request.status} ${request.path}`));
    try {
      await get(fresh.port, '/boot.ipxe');
      await get(fresh.port, '/vmlinuz');
      await get(fresh.port, '/missing.img');
      await get(fresh.port, '/../secret.key');
      await new Promise((resolve) => setTimeout(resolve, 20));
      const log = fresh.requests.map(({ method, path, status, bytes }) => ({ method, path, status, bytes }));
      expect(log).toEqual([
        { method: 'GET', path: '/boot.ipxe', status: 200, bytes: 12 },
        { method: 'GET', path: '/vmlinuz', status: 200, bytes: kernel.length },
        { method: 'GET', path: '/missing.img', status: 404, bytes: 14 },
        { method: 'GET', path: '/../secret.key', status: 403, bytes: 14 },
      ]);
      for (const request of fresh.requests) expect(request.durationMs).toBeGreaterThanOrEqual(0);
      expect(heard).toEqual(['200 /boot.ipxe', '200 /vmlinuz', '404 /missing.img', '403 /../secret.key']);
    } finally {
      await fresh.stop();
    }
  });

  it('stop is idempotent and closes the port', async () => {
    const fresh = await ChainServer.start({ root });
    await Promise.all([fresh.stop(), fresh.stop()]);
    await expect(get(fresh.port, '/boot.ipxe')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('uses an injected clock for durations', async () => {
    let now = 1000;
    const fresh = await ChainServer.start({ root, clock: () => (now += 5) });
    try {
      await get(fresh.port, '/initrd.img');
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(fresh.requests[0]).toMatchObject({ startedAtMs: 1005, durationMs: 5 });
    } finally {
      await fresh.stop();
    }
  });
});

describe('mimeTypeOf', () => {
  it.each([
    ['boot.ipxe', 'text/plain; charset=utf-8'],
    ['BOOT.IPXE', 'text/plain; charset=utf-8'],
    ['x.iso', 'application/x-iso9660-image'],
    ['vmlinuz', 'application/octet-stream'],
    ['initrd.img', 'application/octet-stream'],
  ])('%s → %s', (name, type) => {
    expect(mimeTypeOf(name)).toBe(type);
  });
});
