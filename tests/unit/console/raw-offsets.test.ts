import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AnsiNormalizer } from '../../../harness/console/ansi-normalizer.ts';
import { splitIntoChunks } from '../../../harness/console/replay-capture.ts';

const transcripts = new URL('../../../fixtures/transcripts/', import.meta.url);
const ESC = '\x1b';

/** Streams with every way a character's bytes can sit: escapes, lone CRs, broken and 4-byte UTF-8, DEC graphics, BS. */
const edgeCases: [string, Uint8Array][] = [
  ['progress redraws', Buffer.from(`10%\r${ESC}[K55%\r${ESC}[2K100%\r\r\ndone\r\n`)],
  ['CR runs and a CR at the very end', Buffer.from('a\r\rb\r\r\r\nc\r')],
  ['broken and 4-byte UTF-8', Buffer.from([0x61, 0xe2, 0x82, 0x62, 0xff, 0xf0, 0x9f, 0x98, 0x80, 0x63, 0xc3])],
  ['DEC graphics and BS', Buffer.from(`${ESC})0\x0elqk\x0f ab\x08\x08cd ${ESC}(0x${ESC}(B.`)],
  ['OSC, DCS and 8-bit CSI', Buffer.concat([Buffer.from(`a${ESC}]0;title\x07b${ESC}P1$r${ESC}\\c`), Buffer.from([0x9b, 0x31, 0x6d, 0x64])])],
  ['a printk line inside a prompt', Buffer.from('[root@pre-[    2.912345] virtio_net: renamed\r\r\nnixos:~]# ')],
  ['screens erased mid-line, after a CR and at a line start', Buffer.from(`menu${ESC}[H${ESC}[J[    0.000000] Linux\r\n${ESC}[2Jx\r${ESC}[Jy\rz${ESC}[0J\r\n`)],
];

/**
 * Each character's raw end found without the replay: the bytes go in one at a time, so a character ends at
 * the byte that brought it out. Two kinds come out later than their bytes end: a lone CR (it ends at its
 * CR) and the U+FFFD of a cut UTF-8 sequence (left undefined: the other checks compare those).
 */
function oneByteAtATime(bytes: Uint8Array): (number | undefined)[] {
  const rawEnds: (number | undefined)[] = [];
  let fed = 0;
  const normalizer = new AnsiNormalizer({
    text(text, _start, loneCrs) {
      for (let k = 0; k < text.length; k++) {
        if (loneCrs.includes(k)) rawEnds.push(bytes.lastIndexOf(0x0d, fed - 1) + 1);
        else rawEnds.push(text[k] === '\ufffd' ? undefined : fed);
      }
    },
    control() {},
  });
  for (; fed < bytes.length; ) {
    fed++;
    normalizer.write(bytes.subarray(fed - 1, fed));
  }
  normalizer.end();
  return rawEnds;
}

/**
 * The normaliser after reading `bytes` in `chunks`, and every character's raw end it works out; with
 * `checkpointBytes` 1 every read starts a checkpoint, so the replays start from the parser in every state
 * the reads leave it in (a held CR, half a UTF-8 character, inside an escape).
 */
function lookedUp(chunks: Uint8Array[], checkpointBytes?: number): { normalizer: AnsiNormalizer; rawEnds: number[] } {
  const normalizer = new AnsiNormalizer({ text() {}, control() {} }, { checkpointBytes });
  for (const chunk of chunks) normalizer.write(chunk);
  normalizer.end();
  return { normalizer, rawEnds: Array.from({ length: normalizer.textLength }, (_, index) => normalizer.rawEndOf(index)) };
}

const inputs: [string, Uint8Array][] = [
  ...edgeCases,
  ...readdirSync(transcripts)
    .filter((file) => file.endsWith('.raw'))
    .map((file): [string, Uint8Array] => [file, readFileSync(new URL(file, transcripts))]),
];

describe('raw offsets worked out on demand', () => {
  it.each(inputs)('%s: every character, whole, in 4 KiB, random, 7-byte and 1-byte reads', (_name, bytes) => {
    const expected = oneByteAtATime(bytes);
    const whole = lookedUp([bytes]).rawEnds;
    expect(whole.length).toBe(expected.length);
    expected.forEach((rawEnd, index) => {
      if (rawEnd !== undefined) expect(whole[index], `character ${index}`).toBe(rawEnd);
    });
    for (const plan of [4096, 'random', 7, 1] as const) {
      expect(lookedUp(splitIntoChunks(bytes, plan)).rawEnds, `${plan} reads`).toEqual(whole);
      expect(lookedUp(splitIntoChunks(bytes, plan), 1).rawEnds, `${plan} reads, a checkpoint at each`).toEqual(whole);
    }
  });

  it('the edge cases cut at every point, with a checkpoint at the cut, give the same raw ends', () => {
    for (const [name, bytes] of edgeCases) {
      const whole = lookedUp([bytes]).rawEnds;
      for (let cut = 0; cut <= bytes.length; cut++) {
        expect(lookedUp([bytes.subarray(0, cut), bytes.subarray(cut)], 1).rawEnds, `${name}, cut at ${cut}`).toEqual(whole);
      }
    }
  });

  it('keeps what is still wanted after forgetting, and refuses what was forgotten', () => {
    const bytes = readFileSync(new URL('systemd-iso-boot.raw', transcripts));
    const whole = lookedUp([bytes]).rawEnds;
    const normalizer = new AnsiNormalizer({ text() {}, control() {} });
    let checkedTo = 0;
    for (const chunk of splitIntoChunks(bytes, 'random')) {
      normalizer.write(chunk);
      // Ask about the newest characters, then forget all but the last 100.
      for (let index = checkedTo; index < normalizer.textLength; index++) expect(normalizer.rawEndOf(index)).toBe(whole[index]);
      checkedTo = normalizer.textLength;
      normalizer.forgetBefore(Math.max(0, checkedTo - 100));
      for (let index = Math.max(0, checkedTo - 100); index < checkedTo; index++) expect(normalizer.rawEndOf(index)).toBe(whole[index]);
    }
    expect(() => normalizer.rawEndOf(0)).toThrow(RangeError);
    expect(() => normalizer.rawEndOf(normalizer.textLength)).toThrow(RangeError);
  });
});
