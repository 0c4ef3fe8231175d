// Log files written in batches: nothing before the interval, everything in order after it, every open log
// on the one timer; close() writes the rest; a log that cannot be opened or written never throws.
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { appendFlushIntervalMs, BatchedFileAppender } from '../../../harness/util/batched-file-appender.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'batched-appender-'));
  vi.useFakeTimers();
});
afterEach(async () => {
  vi.useRealTimers();
  await rm(dir, { recursive: true, force: true });
});

describe('BatchedFileAppender', () => {
  it('writes nothing until the interval passes, then all of it in order; two files share one timer', () => {
    const [first, second] = [join(dir, 'a.txt'), join(dir, 'b.txt')];
    const a = new BatchedFileAppender(first, { truncate: true, mode: 0o644 });
    const b = new BatchedFileAppender(second, { truncate: true, mode: 0o644 });
    a.append('one\n');
    b.append('uno\n');
    a.append('two\n');
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(appendFlushIntervalMs - 1);
    expect([readFileSync(first, 'utf8'), readFileSync(second, 'utf8')]).toEqual(['', '']);
    vi.advanceTimersByTime(1);
    expect([readFileSync(first, 'utf8'), readFileSync(second, 'utf8')]).toEqual(['one\ntwo\n', 'uno\n']);
    expect(vi.getTimerCount()).toBe(0);
    a.append('three\n');
    a.close();
    b.close();
    expect(readFileSync(first, 'utf8')).toBe('one\ntwo\nthree\n');
  });

  it('close() writes what is pending at once; appends after it are dropped; a second close is harmless', () => {
    const path = join(dir, 'log.txt');
    const log = new BatchedFileAppender(path, { truncate: true, mode: 0o644 });
    log.append('kept\n');
    log.close();
    expect(readFileSync(path, 'utf8')).toBe('kept\n');
    expect(vi.getTimerCount()).toBe(0);
    log.append('late\n');
    log.close();
    vi.advanceTimersByTime(appendFlushIntervalMs);
    expect(readFileSync(path, 'utf8')).toBe('kept\n');
  });

  it('appends to what is there unless told to truncate', () => {
    const path = join(dir, 'console.txt');
    writeFileSync(path, 'first boot\n');
    const appended = new BatchedFileAppender(path, { truncate: false, mode: 0o644 });
    appended.append('retry\n');
    appended.close();
    expect(readFileSync(path, 'utf8')).toBe('first boot\nretry\n');
    const truncated = new BatchedFileAppender(path, { truncate: true, mode: 0o644 });
    truncated.append('new\n');
    truncated.close();
    expect(readFileSync(path, 'utf8')).toBe('new\n');
  });

  it('a file that cannot be opened, or written (a full disk), is dropped with its error kept, never thrown', () => {
    const missing = new BatchedFileAppender(join(dir, 'no', 'such', 'dir', 'log.txt'), { truncate: true, mode: 0o644 });
    expect(missing.error).toMatchObject({ code: 'ENOENT' });
    missing.append('lost\n');
    expect(vi.getTimerCount()).toBe(0);
    const full = new BatchedFileAppender('/dev/full', { truncate: false, mode: 0o644 });
    full.append('x'.repeat(10_000));
    expect(() => vi.advanceTimersByTime(appendFlushIntervalMs)).not.toThrow();
    expect(full.error).toMatchObject({ code: 'ENOSPC' });
    full.append('more\n');
    expect(() => full.close()).not.toThrow();
  });
});
