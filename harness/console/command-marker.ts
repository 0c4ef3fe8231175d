// Random markers that frame a command's output on the console. The alphabet leaves out R, I and D so a
// marker never spells ERROR, FAIL or DEBUG by accident (labgrid's rule).
import { randomInt } from 'node:crypto';

const alphabet = 'ABCEFGHJKLMNOPQSTUVWXYZ';

export type MarkerSource = () => string;

export const randomMarker: MarkerSource = () => {
  let marker = '';
  for (let i = 0; i < 10; i++) marker += alphabet[randomInt(alphabet.length)];
  return marker;
};

/** The marker typed as two quoted halves, so the terminal's echo of the command never contains it whole. */
export function splitQuoted(marker: string, quote: "'" | '"' = "'"): string {
  const half = Math.ceil(marker.length / 2);
  return `${quote}${marker.slice(0, half)}${quote}${quote}${marker.slice(half)}${quote}`;
}

/** Quotes `text` as one single-quoted shell word. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
