// Replays a recorded raw console capture through the same engine a live console uses, in chunks of any
// size, so a pattern can be debugged without QEMU.
import { type Clock, monotonicNowMs } from '../util/clock.ts';
import { FakeTransport } from './fake-transport.ts';
import { ConsoleClosedError, EOF, SerialConsole } from './serial-console.ts';

export type ChunkPlan = number | 'random' | 'whole';

export interface ReplayOptions {
  pattern: string | RegExp;
  /** Match the rendered screen (expectScreen) instead of the normalised stream. */
  screen?: boolean;
  /** Chunk size in bytes, 'random' (seeded sizes 1..97) or 'whole' (default). */
  chunk?: ChunkPlan;
  seed?: number;
  printkFilter?: boolean;
  clock?: Clock;
}

export interface ReplayResult {
  matched: boolean;
  matchText: string | undefined;
  groups: (string | undefined)[];
  offset: number | undefined;
  rawEndByte: number | undefined;
  bytes: number;
  chunks: number;
  elapsedMs: number;
}

/** Small seeded PRNG (mulberry32): the same seed gives the same chunking on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function splitIntoChunks(bytes: Uint8Array, plan: ChunkPlan, seed = 1): Uint8Array[] {
  if (plan === 'whole') return [bytes];
  const chunks: Uint8Array[] = [];
  const random = seededRandom(seed);
  for (let at = 0; at < bytes.length; ) {
    const size = plan === 'random' ? 1 + Math.floor(random() * 97) : plan;
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

export async function replayCapture(bytes: Uint8Array, options: ReplayOptions): Promise<ReplayResult> {
  const clock = options.clock ?? monotonicNowMs;
  const chunks = splitIntoChunks(bytes, options.chunk ?? 'whole', options.seed);
  const transport = new FakeTransport();
  using console = new SerialConsole(transport, {
    screen: options.screen ? { columns: 80, rows: 25 } : false,
    printkFilter: options.printkFilter ?? true,
    clock,
  });
  const startedAtMs = clock();
  // No timeout in a replay: the capture's end decides. Failure patterns are off, since this is pattern debugging.
  const waiting = options.screen
    ? console.expectScreen(options.pattern, { timeoutMs: 2 ** 31 - 1, failurePatterns: false })
    : console.expect([options.pattern, EOF], { timeoutMs: 2 ** 31 - 1, failurePatterns: false });
  for (const chunk of chunks) transport.push(chunk);
  transport.end();
  let result: ReplayResult = {
    matched: false,
    matchText: undefined,
    groups: [],
    offset: undefined,
    rawEndByte: undefined,
    bytes: bytes.length,
    chunks: chunks.length,
    elapsedMs: 0,
  };
  try {
    const match = await waiting;
    if (match.pattern !== EOF) {
      let rawEndByte = match.rawEndByte;
      if (options.screen) {
        // The screen is only looked at after each read; narrow the match down to the byte, so every
        // chunking reports the same offset.
        let chunkStart = 0;
        for (const chunk of chunks) {
          if (chunkStart + chunk.length >= rawEndByte) break;
          chunkStart += chunk.length;
        }
        rawEndByte = await firstScreenMatch(bytes, chunkStart, rawEndByte, options.pattern);
      }
      result = { ...result, matched: true, matchText: match.matchText, groups: match.groups, offset: match.offset, rawEndByte };
    }
  } catch (error) {
    if (!(error instanceof ConsoleClosedError)) throw error;
  }
  result.elapsedMs = clock() - startedAtMs;
  return result;
}

/** The smallest byte count in (from, to] after which the rendered screen matches `pattern`. */
async function firstScreenMatch(bytes: Uint8Array, from: number, to: number, pattern: string | RegExp): Promise<number> {
  const transport = new FakeTransport();
  using console = new SerialConsole(transport, { screen: { columns: 80, rows: 25 } });
  // One write per byte: the screen view checks the pattern after each write is rendered.
  const waiting = console.expectScreen(pattern, { timeoutMs: 2 ** 31 - 1, failurePatterns: false });
  if (from > 0) transport.push(bytes.subarray(0, from));
  for (let end = from + 1; end <= to; end++) transport.push(bytes.subarray(end - 1, end));
  transport.end();
  try {
    return (await waiting).rawEndByte;
  } catch {
    // The stream ended without the pattern: the replay covers everything up to `to`.
    return to;
  }
}
