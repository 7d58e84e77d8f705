// The pool's entries on disk: a directory per entry holding the checkout (`tree`) and its server
// git dir (`git`), named by a random id and its state, which only the server gives it; every
// operation on an entry first claims it with an atomic rename (src/workspace/pool/checkout-pool.ts).
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { readdir, rename } from '../small-fs.ts';

/**
 * A new entry's name: a random id and its state, `<id>.clean-<commit>` once a reset to the commit
 * completed, `<id>.dirty` for a checkout an agent used. The state is in the name, not in a file:
 * a rename costs ~40 µs on the reference VM's disk, a new file ~0.1–1 ms (bench/notes.md, Round
 * 11), and listing the pool then tells every entry's state. Names of other forms (an earlier
 * version's, which kept a state file) count as dirty.
 */
export function entryName(state: { cleanAt: string } | 'dirty'): string {
  const id = randomBytes(6).toString('hex');
  return state === 'dirty' ? `${id}.dirty` : `${id}.clean-${state.cleanAt}`;
}

/** Whether the entry named `name` is a checkout reset to `commitId` that no agent used since. */
export function isCleanAt(name: string, commitId: string): boolean {
  return name.endsWith(`.clean-${commitId}`);
}

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
