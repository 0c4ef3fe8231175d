// Pins RecentLines (the last lines kept in unsplit blocks, split only by tail()) to the plain array of
// lines it replaced, trimming included.
import { describe, expect, it } from 'vitest';
import { RecentLines } from '../../../harness/console/recent-lines.ts';
import { seededRandom } from '../../../harness/console/replay-capture.ts';

/** The store RecentLines replaced: an array of lines, trimmed to the last keepLines past twice that. */
class PlainRecent {
  lines: string[] = [];
  constructor(private readonly keepLines: number) {}
  add(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.keepLines * 2) this.lines = this.lines.slice(-this.keepLines);
  }
  tail(count: number, current: string): string[] {
    return (current.length > 0 ? [...this.lines, current] : [...this.lines]).slice(-count);
  }
}

describe('RecentLines', () => {
  it.each([1, 3, 200])('keeps the lines a trimmed array of lines would, for tails of every size (keepLines %i)', (keepLines) => {
    const random = seededRandom(keepLines);
    const recent = new RecentLines(keepLines);
    const plain = new PlainRecent(keepLines);
    let n = 0;
    for (let step = 0; step < 400; step++) {
      // Single lines, and blocks from one line to several times keepLines (which trim more than once).
      const size = random() < 0.4 ? 0 : 1 + Math.floor(random() * keepLines * 3);
      if (size === 0) {
        recent.add(`line ${n}`);
        plain.add(`line ${n++}`);
      } else {
        const lines = Array.from({ length: size }, () => `line ${n++}`);
        recent.addBlock(lines.join('\n'), size);
        for (const line of lines) plain.add(line);
      }
      const current = random() < 0.5 ? '' : 'partial';
      for (const count of [1, 2, keepLines, keepLines + 1, 2 * keepLines, 2 * keepLines + 5, 0, -1]) {
        expect(recent.tail(count, current)).toEqual(plain.tail(count, current));
      }
    }
  });

  it('keeps an empty line in a block as a line', () => {
    const recent = new RecentLines(200);
    recent.addBlock('a\n\nb\n', 4);
    expect(recent.tail(10, '')).toEqual(['a', '', 'b', '']);
  });
});
