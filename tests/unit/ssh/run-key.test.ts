// The run's SSH key must load in ssh2 and in OpenSSH every time, including the ~1 in 256 keys whose
// public key starts with a zero byte (ssh2's own generator mangles those: mscdex/ssh2#1390).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import { newEd25519KeyPair } from '../../../harness/ssh/ssh-key.ts';
import { keyWithLeadingZero, publicKeyBytes } from '../../support/leading-zero-key.ts';
import { SshKeyUnusableError, SshNotReadyError, SshSession } from '../../../harness/ssh/ssh-client.ts';

// scripts/setup installs openssh-client, so a missing ssh-keygen is a set-up failure, not a reason to skip.
const sshKeygen = ['/usr/bin/ssh-keygen', '/bin/ssh-keygen'].find((path) => existsSync(path));

function opensshPublicLine(privateKey: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'hb-key-'));
  try {
    const path = join(dir, 'id_ed25519');
    writeFileSync(path, privateKey, { mode: 0o600 });
    return execFileSync(sshKeygen!, ['-y', '-f', path], { encoding: 'utf8' }).trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the run key', () => {
  it('loads in ssh2, private and public, 2000 times in a row', () => {
    for (let index = 0; index < 2000; index += 1) {
      const pair = newEd25519KeyPair(`key-${index}`);
      const privateKey = ssh2.utils.parseKey(pair.privateKey);
      const publicKey = ssh2.utils.parseKey(pair.publicKey);
      expect(privateKey, pair.publicKey).not.toBeInstanceOf(Error);
      expect(publicKey, pair.publicKey).not.toBeInstanceOf(Error);
      expect(publicKeyBytes(pair.publicKey)).toHaveLength(32);
      expect(pair.publicKey.endsWith(` key-${index}`)).toBe(true);
    }
  });

  it('never hangs the process: 4000 keys in a child whose frequent garbage collections free finished key jobs', () => {
    // KeyObject.export({ format: 'jwk' }) deadlocks here on Node 20 (a GC during the export locks the key's
    // mutex again); this child hung every time with it. spawnSync with a timeout, so a hang fails, not stalls.
    const child = spawnSync(process.execPath, ['--max-semi-space-size=1', '--import', 'tsx', join(import.meta.dirname, 'support', 'many-keys.ts'), '4000'], {
      encoding: 'utf8',
      timeout: 30_000,
      killSignal: 'SIGKILL',
    });
    expect(child.signal, `child killed (hung?): ${child.stderr}`).toBeNull();
    expect(child.status, child.stderr).toBe(0);
    expect(child.stdout.trim()).toBe('4000');
  }, 40_000);

  it('keeps a leading zero byte of the public key, and signs what the public key verifies', () => {
    const pair = keyWithLeadingZero();
    expect(publicKeyBytes(pair.publicKey)).toHaveLength(32);
    const privateKey = ssh2.utils.parseKey(pair.privateKey);
    const publicKey = ssh2.utils.parseKey(pair.publicKey);
    if (privateKey instanceof Error || publicKey instanceof Error) throw privateKey instanceof Error ? privateKey : publicKey;
    const data = Buffer.from('boot-harness');
    const signature = (Array.isArray(privateKey) ? privateKey[0]! : privateKey).sign(data);
    expect((Array.isArray(publicKey) ? publicKey[0]! : publicKey).verify(data, signature as Buffer)).toBe(true);
  });

  it('is read by OpenSSH as the same public key (ssh-keygen -y), leading zero included', () => {
    expect(sshKeygen, 'ssh-keygen is missing: scripts/setup installs openssh-client').toBeDefined();
    for (const pair of [newEd25519KeyPair('plain'), keyWithLeadingZero()]) {
      expect(opensshPublicLine(pair.privateKey).split(' ').slice(0, 2)).toEqual(pair.publicKey.split(' ').slice(0, 2));
    }
  });
});

describe('SSH readiness', () => {
  it('fails at once on a private key that does not load, instead of spending the budget', async () => {
    let connections = 0;
    const server = createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as { port: number }).port;
      // Were it retried, this would take the whole 120 s budget (and the test's 20 s limit would fail it).
      const attempt = SshSession.waitUntilReady({ host: '127.0.0.1', port, username: 'root', privateKey: 'not a key' }, 120_000);
      await expect(attempt).rejects.toBeInstanceOf(SshKeyUnusableError);
      expect(connections).toBe(0);
    } finally {
      server.close();
    }
  });

  it('names the last connection error in the first line of a timeout', async () => {
    // A port that refuses: bound, then closed, on loopback only.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const { privateKey } = newEd25519KeyPair('refused');
    const error = await SshSession.waitUntilReady({ host: '127.0.0.1', port, username: 'root', privateKey }, 1200, { intervalMs: 200 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SshNotReadyError);
    expect((error as Error).message.split('\n')[0]).toMatch(/not ready after \d+ ms \(budget 1200 ms, \d+ attempts\); last error: .*ECONNREFUSED/);
  });
});

describe('SSH errors', () => {
  it('carry where they tried to go, never the private key', async () => {
    const { privateKey } = newEd25519KeyPair('secret');
    const error = await SshSession.waitUntilReady({ host: '127.0.0.1', port: 9, username: 'root', privateKey }, 300, { intervalMs: 100 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SshNotReadyError);
    expect((error as SshNotReadyError).target).toEqual({ host: '127.0.0.1', port: 9, username: 'root' });
    expect(JSON.stringify(error)).not.toContain('PRIVATE KEY');
    const unusable = await SshSession.waitUntilReady({ host: '127.0.0.1', port: 9, username: 'root', privateKey: 'garbage' }, 300).catch((caught: unknown) => caught);
    expect((unusable as SshKeyUnusableError).target).toEqual({ host: '127.0.0.1', port: 9, username: 'root' });
  });
});
