// What a console.cast file shows, as one string: its output events joined. A line may be split across two
// events (reads and batches fall anywhere), so tests look for text in this, never in the file's lines.
import { readFile } from 'node:fs/promises';

export async function castOutput(path: string): Promise<string> {
  const lines = (await readFile(path, 'utf8')).split('\n').slice(1).filter(Boolean);
  return lines
    .map((line) => JSON.parse(line) as [number, string, string])
    .filter(([, kind]) => kind === 'o')
    .map(([, , text]) => text)
    .join('');
}
