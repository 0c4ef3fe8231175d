// A lone CR (one not ending a line) travels in the normalised text rather than as a control call between
// pieces of it (ansi-normalizer.ts), so the printk splitter, the line log and both match views read it in
// the middle of a piece. These cases pin what each of them made of it when it came as a control: the
// expected values were recorded from the engine before the change (main at ea46f31).
import { describe, expect, it } from 'vitest';
import { FakeTransport } from '../../../harness/console/fake-transport.ts';
import { EOF, SerialConsole } from '../../../harness/console/serial-console.ts';

type Case = { text: string; filtered: [string, number][]; unfiltered: [string, number][]; lines: string[]; tail: string[] };

const cases: Case[] = [
  {"text":"abc\r[    1.000000] kernel at column 0 after a CR\r\nnext\r\n","filtered":[["abc",4],["[    1.000000] kernel at column 0 after a CR",50],["next",56],["",56]],"lines":["[    1.000000] kernel at column 0 after a CR","next"],"tail":["[    1.000000] kernel at column 0 after a CR","next"],"unfiltered":[["abc",4],["[    1.000000] kernel at column 0 after a CR",50],["next",56],["",56]]},
  {"text":"prompt$ [    2.000000] kernel mid-line\rwith a CR inside\r\n rest\r\n","filtered":[["prompt$  rest",64],["",64]],"lines":["[    2.000000] kernel mid-linewith a CR inside","prompt$  rest"],"tail":["[    2.000000] kernel mid-linewith a CR inside","prompt$  rest"],"unfiltered":[["prompt$ [    2.000000] kernel mid-line",39],["with a CR inside",57],[" rest",64],["",64]]},
  {"text":"held [   3.00\r0000] candidate broken by a CR\r\n","filtered":[["held [   3.00",14],["0000] candidate broken by a CR",46],["",46]],"lines":["0000] candidate broken by a CR"],"tail":["0000] candidate broken by a CR"],"unfiltered":[["held [   3.00",14],["0000] candidate broken by a CR",46],["",46]]},
  {"text":"x [   \r\n","filtered":[["x [   ",8],["",8]],"lines":["x [   "],"tail":["x [   "],"unfiltered":[["x [   ",8],["",8]]},
  {"text":"progress 10%\rprogress 20%\r\u001b[Kdone\r\r\n","filtered":[["progress 10%",13],["progress 20%",26],["done",36],["",36]],"lines":["doneress 20%"],"tail":["doneress 20%"],"unfiltered":[["progress 10%",13],["progress 20%",26],["done",36],["",36]]},
  {"text":"typo xx\b\bok\rover\r\n","filtered":[["typo xxok",12],["over",18],["",18]],"lines":["over ok"],"tail":["over ok"],"unfiltered":[["typo xxok",12],["over",18],["",18]]},
  {"text":"a[    4.000000] k\r\b\rline\r\n","filtered":[["a",26]],"lines":["[    4.000000] kline","a"],"tail":["[    4.000000] kline","a"],"unfiltered":[["a[    4.000000] k",18],["",20],["line",26],["",26]]},
  {"text":"\r\r\r\n\rX\rY\r\n","filtered":[["",4],["",5],["X",7],["Y",10],["",10]],"lines":["","Y"],"tail":["","Y"],"unfiltered":[["",4],["",5],["X",7],["Y",10],["",10]]},
  {"text":"abc\r\b[    6.000000] kernel after a CR and a BS\r\nnext\r\n","filtered":[["abc",4],["[    6.000000] kernel after a CR and a BS",48],["next",54],["",54]],"lines":["[    6.000000] kernel after a CR and a BS","next"],"tail":["[    6.000000] kernel after a CR and a BS","next"],"unfiltered":[["abc",4],["[    6.000000] kernel after a CR and a BS",48],["next",54],["",54]]},
  {"text":"abc\r\u001b[K[    7.000000] kernel after a CR and an erase\r\n","filtered":[["abc",4],["[    7.000000] kernel after a CR and an erase",54],["",54]],"lines":["[    7.000000] kernel after a CR and an erase"],"tail":["[    7.000000] kernel after a CR and an erase"],"unfiltered":[["abc",4],["[    7.000000] kernel after a CR and an erase",54],["",54]]},
  {"text":"end [    5.000000] kernel without LF\r","filtered":[["end ",37]],"lines":["[    5.000000] kernel without LF","end "],"tail":["[    5.000000] kernel without LF","end "],"unfiltered":[["end [    5.000000] kernel without LF",37]]},
];

/** Every match of /\n/ (`before` and `rawEndByte`) up to EOF, and the lines and tail the console kept. */
async function observe(text: string, printkFilter: boolean, split: boolean) {
  const transport = new FakeTransport();
  const lines: string[] = [];
  using console = new SerialConsole(transport, { screen: false, printkFilter, onLine: (line) => lines.push(line) });
  const matches: [string, number][] = [];
  const run = (async () => {
    for (;;) {
      const m = await console.expect([/\n/, EOF], { timeoutMs: 1000, failurePatterns: false });
      matches.push([m.before, m.rawEndByte]);
      if (m.pattern === EOF) return;
    }
  })();
  const bytes = Buffer.from(text, 'latin1');
  if (split) for (let at = 0; at < bytes.length; at++) transport.push(bytes.subarray(at, at + 1));
  else transport.push(bytes);
  transport.end();
  await run;
  return { matches, lines, tail: console.tail(10) };
}

describe('a lone CR in the middle of the text', () => {
  it.each(cases.map((c) => [JSON.stringify(c.text), c] as const))('%s: matches, lines and tail as when it came as a control', async (_name, c) => {
    for (const split of [false, true]) {
      const filtered = await observe(c.text, true, split);
      expect(filtered.matches).toEqual(c.filtered);
      expect(filtered.lines).toEqual(c.lines);
      expect(filtered.tail).toEqual(c.tail);
      expect((await observe(c.text, false, split)).matches).toEqual(c.unfiltered);
    }
  });
});
