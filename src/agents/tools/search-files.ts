/** The `search_files` tool: lines matching a regular expression (or literal text) in the checkout. */
import { lstat, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveInside } from './files.ts';
import { oneLine } from './truncate.ts';
import { walk } from './walk.ts';

export interface SearchOptions {
  /** A directory or file to search in; default the whole checkout. */
  path?: string;
  /** Treat the pattern as literal text. */
  literal?: boolean;
  caseInsensitive?: boolean;
  maxMatches?: number;
}

const MAX_FILE_BYTES = 2 * 1024 * 1024;
const MAX_FILES = 20_000;
const MAX_LINE = 300;

export async function searchFiles(root: string, pattern: string, opts: SearchOptions = {}): Promise<string> {
  if (pattern === '') throw new Error('pattern must not be empty');
  let re: RegExp;
  try {
    const source = opts.literal ? pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : pattern;
    re = new RegExp(source, opts.caseInsensitive ? 'i' : '');
  } catch (e) {
    throw new Error(`invalid regular expression: ${(e as Error).message}`);
  }
  const rel = opts.path === undefined || opts.path === '' || opts.path === '.' ? '' : opts.path;
  const abs = rel === '' ? root : await resolveInside(root, rel);
  const st = await stat(abs).catch(() => undefined);
  if (!st) throw new Error(`no such file or directory: ${opts.path}`);
  const max = opts.maxMatches ?? 200;
  const out: string[] = [];
  let total = 0;
  const files: string[] = [];
  if (st.isFile()) files.push(rel);
  else {
    for await (const e of walk(abs, rel.replace(/\/+$/, ''), 64)) {
      if (e.kind === 'file') files.push(e.path);
      if (files.length > MAX_FILES) break;
    }
  }
  const cut = files.length > MAX_FILES ? files.splice(MAX_FILES) : [];
  for (const file of files) {
    const text = await readText(join(root, file));
    if (text === undefined) continue;
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (!re.test(lines[i]!)) continue;
      total++;
      if (out.length < max) out.push(`${file}:${i + 1}: ${oneLine(lines[i]!, MAX_LINE)}`);
    }
  }
  const note = cut.length > 0 ? `\n[only the first ${MAX_FILES} files were searched; pass a path]` : '';
  if (total === 0) return `No matches.${note}`;
  if (total > out.length) out.push(`[… ${total - out.length} more matches; narrow the pattern or the path]`);
  if (note) out.push(note.trim());
  return out.join('\n');
}

/** A small text file's content; undefined for links, big or binary files. */
async function readText(path: string): Promise<string | undefined> {
  const st = await lstat(path).catch(() => undefined);
  if (!st?.isFile() || st.size > MAX_FILE_BYTES) return undefined;
  const buf = await readFile(path).catch(() => undefined);
  if (!buf || buf.subarray(0, 8192).includes(0)) return undefined;
  return buf.toString('utf8');
}
