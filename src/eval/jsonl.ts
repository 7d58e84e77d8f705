import { readFile } from 'node:fs/promises';

/** The records of a JSON Lines file ([] when there is none); a line cut short by a crash is skipped. */
export async function readJsonLines<T>(file: string): Promise<T[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return [];
  }
  const out: T[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch {
      // Written when a crash cut the append short: that record is simply made again.
    }
  }
  return out;
}
