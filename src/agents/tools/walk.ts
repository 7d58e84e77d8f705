/** Walks a checkout's tree without leaving it: no .git, no symbolic links followed, bounded. */
import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Directories shown but never descended into: tools, caches and dependencies, not the project. */
export const SKIPPED_DIRS: ReadonlySet<string> = new Set([
  '.git',
  'node_modules',
  '.venv',
  'venv',
  '__pycache__',
  '.mypy_cache',
  '.pytest_cache',
  '.tox',
  '.gradle',
  '.next',
  'target',
]);

export interface WalkEntry {
  /** Relative to the checkout, with `/` separators. */
  path: string;
  kind: 'file' | 'dir' | 'link' | 'other';
  /** A directory the walk did not descend into. */
  skipped?: boolean;
}

/**
 * Yields the entries under `dir` (an absolute path inside the checkout whose relative path is
 * `rel`), depth first in name order, down to `maxDepth` levels.
 */
export async function* walk(dir: string, rel: string, maxDepth: number): AsyncGenerator<WalkEntry> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const path = rel === '' ? e.name : `${rel}/${e.name}`;
    if (e.isSymbolicLink()) {
      yield { path, kind: 'link' };
    } else if (e.isDirectory()) {
      if (rel === '' && e.name === '.git') continue;
      const skipped = SKIPPED_DIRS.has(e.name) || maxDepth <= 1;
      yield skipped ? { path, kind: 'dir', skipped: true } : { path, kind: 'dir' };
      if (!skipped) yield* walk(join(dir, e.name), path, maxDepth - 1);
    } else {
      yield { path, kind: e.isFile() ? 'file' : 'other' };
    }
  }
}
