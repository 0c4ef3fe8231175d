// asciicast v2 output: a JSON header, then timed output events that survive UTF-8 split across reads.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AsciicastEncoder, AsciicastWriter } from '../../../harness/report/asciicast-writer.ts';

type Event = [number, 'o', string];

function encode(chunks: [number, Uint8Array][], coalesceMs = 10): Event[] {
  const lines: string[] = [];
  const encoder = new AsciicastEncoder((line) => lines.push(line), coalesceMs);
  for (const [atMs, chunk] of chunks) encoder.write(chunk, atMs);
  encoder.end(chunks.at(-1)?.[0] ?? 0);
  return lines.map((line) => JSON.parse(line) as Event);
}

const bytes = (text: string) => new TextEncoder().encode(text);

describe('AsciicastEncoder', () => {
  it('keeps a multi-byte character split across chunks whole', () => {
    const text = bytes('grüß ✓ 🚀');
    const chunks: [number, Uint8Array][] = [...text].map((byte, index) => [index * 50, Uint8Array.of(byte)]);
    const events = encode(chunks);
    expect(events.map((event) => event[2]).join('')).toBe('grüß ✓ 🚀');
    expect(events.every((event) => !event[2].includes('\uFFFD'))).toBe(true);
  });

  it('coalesces a burst into one event stamped with its first chunk', () => {
    const events = encode([
      [100, bytes('Linux ')],
      [103, bytes('version ')],
      [108, bytes('6.1\r\n')],
      [500, bytes('login: ')],
    ]);
    expect(events).toEqual([
      [0.1, 'o', 'Linux version 6.1\r\n'],
      [0.5, 'o', 'login: '],
    ]);
  });

  it('never emits a time earlier than the previous event', () => {
    const chunks: [number, Uint8Array][] = [5, 30, 29.999, 60, 60, 200].map((atMs, index) => [atMs, bytes(`c${index}`)]);
    const times = encode(chunks, 0).map((event) => event[0]);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });
});

describe('AsciicastEncoder markers', () => {
  it('a marker comes after the output before it, never earlier in time', () => {
    const lines: string[] = [];
    const encoder = new AsciicastEncoder((line) => lines.push(line), 10);
    encoder.write(bytes('first boot'), 1000);
    encoder.marker('boot 2', 500);
    encoder.write(bytes('second boot'), 2000);
    encoder.end(2000);
    expect(lines.map((line) => JSON.parse(line) as unknown[])).toEqual([
      [1, 'o', 'first boot'],
      [1, 'm', 'boot 2'],
      [2, 'o', 'second boot'],
    ]);
  });
});

describe('AsciicastWriter', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes a header line and valid JSON event lines with increasing times', async () => {
    dir = await mkdtemp(join(tmpdir(), 'cast-'));
    let now = 1000;
    const writer = new AsciicastWriter(join(dir, 'console.cast'), {
      columns: 80,
      rows: 25,
      title: 'boot',
      nowMs: () => now,
      startedAt: new Date('2026-01-02T03:04:05Z'),
    });
    const euro = bytes('€');
    for (const [stepMs, chunk] of [
      [20, bytes('SeaBIOS\r\n')],
      [40, euro.slice(0, 1)],
      [40, euro.slice(1)],
      [2, bytes('\r\n<script>\r\n')],
    ] as const) {
      now += stepMs;
      writer.write(chunk);
    }
    await writer.close();
    await writer.close();
    const lines = (await readFile(join(dir, 'console.cast'), 'utf8')).trimEnd().split('\n');
    const [header, ...events] = lines.map((line) => JSON.parse(line) as unknown);
    expect(header).toEqual({ version: 2, width: 80, height: 25, timestamp: 1767323045, title: 'boot', env: { TERM: 'vt220', SHELL: '/bin/sh' } });
    const typed = events as Event[];
    expect(typed.map((event) => event[1])).toEqual(['o', 'o']);
    expect(typed.map((event) => event[2]).join('')).toBe('SeaBIOS\r\n€\r\n<script>\r\n');
    const times = typed.map((event) => event[0]);
    for (let index = 1; index < times.length; index += 1) expect(times[index]).toBeGreaterThan(times[index - 1]!);
  });
});
