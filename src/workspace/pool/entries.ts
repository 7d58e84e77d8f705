// The pool's entries on disk: a directory per entry holding the checkout (`tree`), its server git
// dir (`git`) and a state file written only by the server; every operation on an entry first
// claims it with an atomic rename (src/workspace/pool/checkout-pool.ts).
import { createHash } from 'node:crypto';
import { readdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';

/** The entry's state file: `clean <commit>` once a reset completed, `dirty` for a used checkout. */
export const STATE = 'state';
/** Touched at each use of a pool (its age says when the pool was last used, across restarts). */
export const USED_STAMP = '.used';

/** Moves `from` to `to`; false when `from` is gone (taken by someone else first). */
export async function claim(from: string, to: string): Promise<boolean> {
  try {
    await rename(from, to);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return false; // taken by someone else first
    throw e;
  }
}

/** The entries of a pool directory (none when it does not exist), sorted. */
export async function listEntries(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.filter((n) => n !== USED_STAMP).sort();
}

/** An entry's state, or undefined when it has none. */
export async function readState(entry: string): Promise<string | undefined> {
  const text = await readFile(join(entry, STATE), 'utf8').catch(() => undefined);
  return text?.trim();
}

/** The checkout and server git dir of an entry. */
export function pathsOf(entry: string): { dir: string; gitDir: string } {
  return { dir: join(entry, 'tree'), gitDir: join(entry, 'git') };
}

/** A pool's directory name for a branch: readable, and unique by a hash of the name. */
export function branchDirName(branch: string): string {
  const readable = branch
    .replace(/[^A-Za-z0-9_.-]+/g, '_')
    .replace(/^[.-]+/, '')
    .slice(0, 60);
  return `${readable}-${createHash('sha256').update(branch).digest('hex').slice(0, 12)}`;
}
