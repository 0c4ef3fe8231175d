import { describe, expect, it } from 'vitest';
import { PtyTransport } from '../../../harness/console/pty-transport.ts';

describe('PtyTransport', () => {
  it('delivers bytes (not strings), keeps UTF-8 intact, and reports the exit once', async () => {
    await using transport = PtyTransport.spawn('sh', ['-c', 'printf "é✓\\n"; exit 3'], { columns: 80 });
    const chunks: Uint8Array[] = [];
    const exits: unknown[] = [];
    transport.onData((chunk) => chunks.push(chunk));
    transport.onExit((exit) => exits.push(exit));
    const exit = await transport.exited;
    expect(exit.exitCode).toBe(3);
    expect(chunks.every((chunk) => chunk instanceof Uint8Array)).toBe(true);
    expect(Buffer.concat(chunks).toString('utf8')).toContain('é✓');
    expect(exits).toEqual([exit]);
    expect(transport.pid).toBeGreaterThan(0);
  });

  it('kill is idempotent and asyncDispose ends a child that ignores SIGTERM', async () => {
    const transport = PtyTransport.spawn('sh', ['-c', 'trap "" TERM; while :; do sleep 1; done'], {});
    transport.kill('SIGTERM');
    await transport[Symbol.asyncDispose]();
    const exit = await transport.exited;
    expect(exit.signal).not.toBeNull();
    expect(() => transport.kill()).not.toThrow();
    expect(() => transport.write('ignored after exit')).not.toThrow();
    await transport[Symbol.asyncDispose]();
  });
});
