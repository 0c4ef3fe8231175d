import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
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

describe('PtyTransport writes', () => {
  it('reach a child that reads slowly whole and in order, a megabyte more than the pty holds, without blocking the caller', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pty-writes-'));
    try {
      const out = join(dir, 'received');
      const lines = Array.from({ length: 16_384 }, (_, i) => `line ${String(i).padStart(6, '0')} ${'x'.repeat(48)}\n`);
      const sent = Buffer.from(lines.join(''));
      const go = join(dir, 'go');
      // Raw mode, so the line discipline passes every byte. The child reads only once told to, after every
      // write call has returned: a write that waited for the reader would never return, and the test would time out.
      await using transport = PtyTransport.spawn('sh', ['-c', `stty raw -echo; echo raw; while [ ! -e ${go} ]; do sleep 0.05; done; head -c ${sent.length} > ${out}; exit 0`], {});
      let output = '';
      transport.onData((chunk) => (output += Buffer.from(chunk).toString()));
      await expect.poll(() => output).toContain('raw');
      for (let at = 0; at < sent.length; at += 65_536) transport.write(sent.subarray(at, at + 65_536));
      transport.write(Buffer.alloc(0));
      writeFileSync(go, '');
      expect((await transport.exited).exitCode).toBe(0);
      expect(readFileSync(out).equals(sent)).toBe(true);
      expect(transport.droppedWrites.writes).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('PtyTransport writes to a child that does not read', () => {
  it('wait for room without keeping a core busy (retrying on every turn of the event loop did, at ~100 % of the time waited)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pty-full-'));
    try {
      const go = join(dir, 'go');
      await using transport = PtyTransport.spawn('sh', ['-c', `stty raw -echo; echo raw; while [ ! -e ${go} ]; do sleep 0.05; done; head -c ${1 << 20} > /dev/null; echo all-read; exit 0`], {});
      let output = '';
      transport.onData((chunk) => (output += Buffer.from(chunk).toString()));
      // Raw first: a canonical-mode line discipline throws away what passes its 4 KiB line buffer.
      await expect.poll(() => output).toContain('raw');
      transport.write(Buffer.alloc(1 << 20, 0x61));
      const cpuBefore = process.cpuUsage();
      const startedAtMs = performance.now();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const cpu = process.cpuUsage(cpuBefore);
      const waitedMs = performance.now() - startedAtMs;
      expect((cpu.user + cpu.system) / 1000 / waitedMs).toBeLessThan(0.25);
      // Once the child reads, the rest goes through.
      writeFileSync(go, '');
      expect((await transport.exited).exitCode).toBe(0);
      expect(output).toContain('all-read');
      expect(transport.droppedWrites.writes).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('PtyTransport writes after the child is gone', () => {
  it('are dropped quietly and counted, never printed as "Unhandled pty write error EBADF"', async () => {
    const printed = vi.spyOn(console, 'error');
    try {
      // The child reads nothing and exits while a megabyte is still queued for it. Raw mode: a canonical-mode
      // line discipline may throw input away once its line buffer is full, and the megabyte would "succeed".
      await using transport = PtyTransport.spawn('sh', ['-c', 'stty raw -echo; sleep 0.3; exit 0'], {});
      transport.write(Buffer.alloc(1 << 20, 0x61));
      await transport.exited;
      transport.write('after the exit');
      // Let node-pty close its side; nothing queued may then reach (or be printed about) the closed fd.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(printed.mock.calls.map((call) => String(call[0]))).not.toContainEqual(expect.stringMatching(/pty write error/));
      expect(transport.droppedWrites.writes).toBeGreaterThanOrEqual(2);
      expect(transport.droppedWrites.bytes).toBeGreaterThan('after the exit'.length);
    } finally {
      printed.mockRestore();
    }
  });
});
