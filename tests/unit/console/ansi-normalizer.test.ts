import { describe, expect, it } from 'vitest';
import { AnsiNormalizer, type AnsiNormalizerOptions } from '../../../harness/console/ansi-normalizer.ts';
import { MatchView } from '../../../harness/console/match-view.ts';

/** Normalises `input` (split at the given byte positions) into the matching view's text. */
function normalise(input: Uint8Array, cuts: number[] = [], options: AnsiNormalizerOptions = {}): string {
  const view = new MatchView();
  const normalizer = new AnsiNormalizer(view, options);
  let at = 0;
  for (const cut of [...cuts, input.length]) {
    normalizer.write(input.subarray(at, cut));
    at = cut;
  }
  normalizer.end();
  return view.textBetweenConsumedAnd(view.end);
}

const ESC = '\x1b';
const bytes = (text: string) => Buffer.from(text, 'utf8');

const cases: [string, Uint8Array, string][] = [
  ['SGR colours', bytes(`${ESC}[1;31mred${ESC}[0m plain`), 'red plain'],
  ['private mode (bracketed paste)', bytes(`${ESC}[?2004hroot# ${ESC}[?2004l`), 'root# '],
  ['cursor position query', bytes(`${ESC}[6n~ # `), '~ # '],
  ['OSC title, BEL', bytes(`a${ESC}]0;root@host: ~\x07b`), 'ab'],
  ['OSC title, ST', bytes(`a${ESC}]2;title${ESC}\\b`), 'ab'],
  ['DCS string', bytes(`a${ESC}P1$r0m${ESC}\\b`), 'ab'],
  ['APC, PM, SOS strings', bytes(`a${ESC}_apc${ESC}\\b${ESC}^pm${ESC}\\c${ESC}Xsos${ESC}\\d`), 'abcd'],
  ['DEC graphics in G0 (ESC ( 0 … ESC ( B)', bytes(`${ESC}(0lqqk${ESC}(B ok`), '┌──┐ ok'],
  ['DEC graphics in G1, shifted in by SO, out by SI (newt)', bytes(`${ESC})0\x0elqk\x0f\x0ex\x0fInstall\x0ex\x0f`), '┌─┐│Install│'],
  ['G1 designated but not shifted in: letters stay letters', bytes(`${ESC})0lqk x`), 'lqk x'],
  ['every DEC graphics character', bytes(`${ESC}(0_\`abcdefghijklmnopqrstuvwxyz{|}~${ESC}(B`), '\u00a0◆▒␉␌␍␊°±␤␋┘┐┌└┼⎺⎻─⎼⎽├┤┴┬│≤≥π≠£·'],
  ['DEC graphics leave digits, capitals and UTF-8 alone', bytes(`${ESC}(0AZ09 é${ESC}(B`), 'AZ09 é'],
  ['ESC c resets the character sets', bytes(`${ESC})0\x0e${ESC}cqq`), 'qq'],
  ['other designations (ESC ( B, ESC ( %5) are ASCII', bytes(`${ESC}(0q${ESC}(%5q${ESC}(Bq`), '─qq'],
  ['a cursor move inside a box leaves the set in place', bytes(`${ESC}(0x${ESC}[5;10Hx${ESC}(B`), '││'],
  ['two-byte escapes', bytes(`${ESC}c${ESC}7x${ESC}8y${ESC}=z`), 'xyz'],
  ['SeaBIOS reset', bytes(`${ESC}c${ESC}[?7lSeaBIOS`), 'SeaBIOS'],
  ['8-bit CSI and OSC', Buffer.from([0x9b, 0x31, 0x6d, 0x41, 0x9d, 0x30, 0x3b, 0x74, 0x07, 0x42]), 'AB'],
  ['UTF-8 with a 0x9c continuation byte inside an OSC', bytes(`${ESC}]0;Ü${ESC}\\kept Ü`), 'kept Ü'],
  ['multi-byte UTF-8', bytes('● “quotes” ✓ 😀'), '● “quotes” ✓ 😀'],
  ['CR CR LF and CR LF', bytes('a\r\r\nb\r\nc\n'), 'a\nb\nc\n'],
  ['lone CR starts a new line in the matching view', bytes('10%\r55%\r100%\r\r\n'), '10%\n55%\n100%\n'],
  ['backspace and BEL dropped', bytes('ab\x08c\x07d'), 'abcd'],
  ['invalid UTF-8 becomes U+FFFD', Buffer.from([0x61, 0xe2, 0x82, 0x62, 0xff]), 'a\ufffdb\ufffd'],
  ['an encoded surrogate (ED A0 80) is one U+FFFD, not half a pair', Buffer.from([0x61, 0xed, 0xa0, 0x80, 0x62]), 'a\ufffdb'],
  ['a UTF-8 character inside a CSI ends it, and goes with it', bytes(`${ESC}[1éx ${ESC}[2m€y`), 'x €y'],
  ['CAN aborts a sequence', bytes(`${ESC}[12\x18x`), 'x'],
  ['LF inside a CSI is executed', bytes(`${ESC}[1\n2m x`), '\n x'],
  ['erasing the screen ends the line being written (GRUB before the kernel)', bytes(`row 5${ESC}[5;78H${ESC}[H${ESC}[J${ESC}[1;1H[    0.000000] Linux`), 'row 5\n[    0.000000] Linux'],
  ['erasing the screen at a line start adds no empty line', bytes(`a\r\n${ESC}[2J${ESC}[Jb`), 'a\nb'],
  ['erasing the screen after a CR ends that line', bytes(`50%\r${ESC}[Jdone`), '50%\ndone'],
  ['erasing the screen after a lone CR and text ends the line', bytes(`a\rb${ESC}[0J`), 'a\nb\n'],
  ['8-bit CSI J', Buffer.from([0x61, 0x9b, 0x4a, 0x62]), 'a\nb'],
];

describe('AnsiNormalizer', () => {
  it.each(cases)('%s', (_name, input, expected) => {
    expect(normalise(input)).toBe(expected);
  });

  it.each(cases)('%s: same text for every single split point and byte by byte', (_name, input, expected) => {
    for (let cut = 0; cut <= input.length; cut++) expect(normalise(input, [cut])).toBe(expected);
    expect(normalise(input, Array.from({ length: input.length }, (_, i) => i))).toBe(expected);
  });

  it.each([
    ['ascii', '+-+|Install|'],
    ['letters', 'lqkxInstallx'],
    ['unicode', '┌─┐│Install│'],
  ] as const)('lineDrawing %s', (lineDrawing, expected) => {
    const input = bytes(`${ESC})0\x0elqk\x0f\x0ex\x0fInstall\x0ex\x0f`);
    expect(normalise(input, [], { lineDrawing })).toBe(expected);
    expect(normalise(input, Array.from({ length: input.length }, (_, i) => i), { lineDrawing })).toBe(expected);
  });

  it('a word next to a box edge matches a word boundary (it was glued to the x before)', () => {
    const text = normalise(bytes(`${ESC})0\x0ex\x0f Choose language \x0ex\x0f\x0ex\x0fEnglish\x0ex\x0f`));
    expect(text).toMatch(/\bEnglish\b/);
    expect(text).toBe('│ Choose language ││English│');
  });

  it('gives graphics characters the raw offset of their byte', () => {
    const normalizer = new AnsiNormalizer(new MatchView());
    normalizer.write(bytes(`${ESC}(0lq${ESC}(Bk`));
    // ESC ( 0 is bytes 0-2: l ends at 4, q at 5; k after ESC ( B ends at 9.
    expect([0, 1, 2].map((index) => normalizer.rawEndOf(index))).toEqual([4, 5, 9]);
  });

  it('reports the raw byte offset of every character', () => {
    const normalizer = new AnsiNormalizer(new MatchView());
    const input = bytes(`${ESC}[1mé${ESC}[0mx\r\r\ny`);
    normalizer.write(input);
    // é ends at byte 6 (after ESC[1m + 2 bytes), x at 11, the line end at 14, y at 15.
    expect([0, 1, 2, 3].map((index) => normalizer.rawEndOf(index))).toEqual([6, 11, 14, 15]);
  });
});
