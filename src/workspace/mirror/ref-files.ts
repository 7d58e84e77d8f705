// Reads and writes refs of a mirror straight from its files (git's "files" ref storage: one file per
// loose ref, the rest in packed-refs), saving a git process on every session start. Only for
// repositories Stint made itself; anything unexpected returns undefined so callers ask git instead.
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { COMMIT_ID } from '../../domain/commit-id.ts';
import { mkdir, readFile, rename, writeFile } from '../small-fs.ts';

/** The object id `ref` (a full name such as refs/heads/main) points to, or undefined. */
export async function readRefFile(gitDir: string, ref: string): Promise<string | undefined> {
  const loose = await readFile(join(gitDir, ref), 'utf8').catch(() => undefined);
  if (loose !== undefined) {
    const id = loose.trim();
    return COMMIT_ID.test(id) ? id : undefined; // a symbolic ref: let git resolve it
  }
  const packed = await readFile(join(gitDir, 'packed-refs'), 'utf8').catch(() => '');
  for (const line of packed.split('\n')) {
    if (line.endsWith(` ${ref}`)) {
      const id = line.slice(0, line.indexOf(' '));
      return COMMIT_ID.test(id) ? id : undefined;
    }
  }
  return undefined;
}

/** Points `ref` at `id` by writing its loose ref file atomically. */
export async function writeRefFile(gitDir: string, ref: string, id: string): Promise<void> {
  if (!COMMIT_ID.test(id)) throw new Error(`invalid object id ${id}`);
  const file = join(gitDir, ref);
  // The temporary file lives outside refs/: a concurrent fetch walking refs/ would otherwise read
  // the half-written name as a ref ("bad object refs/...tmp") and fail.
  const tmpDir = join(gitDir, 'stint-tmp');
  const tmp = join(tmpDir, `${randomBytes(8).toString('hex')}.ref`);
  // git removes a refs/ directory it has just emptied (deleting or packing the last ref in it), so
  // the directory made here can be gone by the rename: 200 sessions starting at once hit it. Again.
  for (let attempt = 1; ; attempt++) {
    try {
      await mkdir(dirname(file), { recursive: true });
      await mkdir(tmpDir, { recursive: true });
      await writeFile(tmp, `${id}\n`);
      await rename(tmp, file);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= MAX_ATTEMPTS) throw e;
    }
  }
}

const MAX_ATTEMPTS = 8;
