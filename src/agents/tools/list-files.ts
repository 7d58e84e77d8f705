/** The `list_files` tool: the files under a directory of the checkout, one per line. */
import { stat } from 'node:fs/promises';
import { resolveInside } from './files.ts';
import { walk } from './walk.ts';

export interface ListOptions {
  /** Levels to descend; 1 lists the directory itself only. */
  depth?: number;
  /** Entries shown at most. */
  maxEntries?: number;
}

export async function listFiles(root: string, dir: string, opts: ListOptions = {}): Promise<string> {
  const rel = dir === '' || dir === '.' || dir === './' ? '' : dir;
  const abs = rel === '' ? root : await resolveInside(root, rel);
  const st = await stat(abs).catch(() => undefined);
  if (!st) throw new Error(`no such directory: ${dir}`);
  if (!st.isDirectory()) throw new Error(`not a directory: ${dir}`);
  const max = opts.maxEntries ?? 500;
  const lines: string[] = [];
  let more = 0;
  const prefix = rel === '' ? '' : rel.replace(/\/+$/, '');
  for await (const e of walk(abs, prefix, opts.depth ?? 3)) {
    if (lines.length >= max) {
      more++;
      continue;
    }
    if (e.kind === 'dir') lines.push(`${e.path}/${e.skipped ? ' (not expanded)' : ''}`);
    else if (e.kind === 'link') lines.push(`${e.path} (symbolic link)`);
    else lines.push(e.path);
  }
  if (lines.length === 0) return '(empty directory)';
  if (more > 0) lines.push(`[… ${more} more entries; list a subdirectory to see them]`);
  return lines.join('\n');
}
