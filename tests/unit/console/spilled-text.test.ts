// Pins SpilledText (the text owed to `before`, kept off the JS heap) to the plain string it replaced.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../harness/console/replay-capture.ts';
import { SpilledText } from '../../../harness/console/spilled-text.ts';

describe('SpilledText', () => {
  it('gives back every prefix of what was appended, across blocks and surrogates', () => {
    const random = seededRandom(5);
    const spilled = new SpilledText();
    let all = '';
    const pieces = ['plain', '─ box “quotes”', '😀 astral', '\ud800 lone high', 'lone low \udc00', 'x'.repeat(700_000), ''];
    for (let i = 0; i < 40; i++) {
      const piece = pieces[Math.floor(random() * pieces.length)]!;
      spilled.append(piece);
      all += piece;
      expect(spilled.length).toBe(all.length);
      const units = Math.floor(random() * (all.length + 1));
      expect(spilled.text(units)).toBe(all.slice(0, units));
    }
    expect(spilled.text()).toBe(all);
    // One string bigger than a block gets a block of its own.
    spilled.append('y'.repeat(3 * 1024 * 1024));
    expect(spilled.text()).toBe(`${all}${'y'.repeat(3 * 1024 * 1024)}`);
  });
});
