// The guest's SSH over its forwarded port, against a port that refuses (no guest): the early attempts
// are given the caller's budget from when it asks, and their failure says they were the early ones.
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ForwardedSsh } from '../../../harness/boot/forwarded-ssh.ts';
import { SshNotReadyError } from '../../../harness/ssh/ssh-client.ts';
import { newEd25519KeyPair } from '../../../harness/ssh/ssh-key.ts';

async function refusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('ForwardedSsh', () => {
  it('hands the early attempts the budget of connect(), then fails naming them', async () => {
    const target = { host: '127.0.0.1' as const, port: await refusedPort(), username: 'root', privateKey: newEd25519KeyPair('forwarded').privateKey };
    const ssh = new ForwardedSsh();
    ssh.startEarly(target, 60_000);
    const error = await ssh.connect(target, 300).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SshNotReadyError);
    expect((error as SshNotReadyError).target).toEqual({ host: '127.0.0.1', port: target.port, username: 'root' });
    expect((error as Error).message).toContain('attempts made since the guest started');
    ssh.close();
  });

  it('without early attempts, connect() tries on its own budget', async () => {
    const target = { host: '127.0.0.1' as const, port: await refusedPort(), username: 'root', privateKey: newEd25519KeyPair('forwarded').privateKey };
    const ssh = new ForwardedSsh();
    const error = await ssh.connect(target, 400).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SshNotReadyError);
    expect((error as Error).message.split('\n')[0]).toMatch(/ECONNREFUSED/);
    ssh.dropSessions();
    ssh.close();
  });
});
