/** The `read_file` tool: a window of a text file's lines, numbered, with how to read on. */
import { readFile, stat } from 'node:fs/promises';
import { resolveInside } from './files.ts';

export interface ReadOptions {
  /** First line to show, 1-based. */
  offset?: number;
  /** Lines to show at most. */
  limit?: number;
  /** Characters to show at most. */
  maxChars?: number;
}

const MAX_BYTES = 16 * 1024 * 1024;

export async function readTextWindow(root: string, path: string, opts: ReadOptions = {}): Promise<string> {
  const abs = await resolveInside(root, path);
  const st = await stat(abs).catch(() => undefined);
  if (!st) throw new Error(`no such file: ${path}`);
  if (st.isDirectory()) throw new Error(`${path} is a directory; use list_files`);
  if (st.size > MAX_BYTES) throw new Error(`${path} is ${st.size} bytes, too big to read; use search_files`);
  const buf = await readFile(abs);
  if (buf.subarray(0, 8192).includes(0)) return `${path} is a binary file (${buf.length} bytes).`;
  const lines = buf.toString('utf8').split('\n');
  if (lines.length > 1 && lines.at(-1) === '') lines.pop();
  if (buf.length === 0) return `${path} is empty.`;
  const first = Math.max(1, Math.floor(opts.offset ?? 1));
  const limit = Math.max(1, Math.floor(opts.limit ?? 2000));
  const maxChars = opts.maxChars ?? 60_000;
  if (first > lines.length) throw new Error(`${path} has only ${lines.length} lines`);
  const out: string[] = [];
  let size = 0;
  let last = first - 1;
  for (let i = first - 1; i < lines.length && i < first - 1 + limit; i++) {
    const full = `${String(i + 1).padStart(6)}\t${lines[i]!}`;
    const line = full.length > maxChars ? `${full.slice(0, maxChars)} [… line cut]` : full;
    if (size + line.length > maxChars && out.length > 0) break;
    out.push(line);
    size += line.length + 1;
    last = i + 1;
  }
  if (last < lines.length) {
    out.push(`[lines ${first}-${last} of ${lines.length}; read on with offset=${last + 1}]`);
  }
  return out.join('\n');
}
