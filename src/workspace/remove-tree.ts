// Recursive delete that also copes with directories an agent made read-only.
import { lstatSync, type Stats, unlinkSync } from 'node:fs';
import { chmod, lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** Removes `dir` and everything below it; a missing `dir` is fine. */
export async function removeTree(dir: string): Promise<void> {
  // Most calls find nothing (a temporary name cleared before use) or a single file: those at once
  // (src/workspace/small-fs.ts says why), a directory's tree through the thread pool.
  const st = lstatOrMissing(dir);
  if (st === 'missing') return;
  if (st !== undefined && !st.isDirectory()) {
    try {
      unlinkSync(dir);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      if (!isPermissionError(err)) throw err;
      // A read-only parent: left to rm below, which answers it as it always has.
    }
  }
  try {
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  } catch (err) {
    if (!isPermissionError(err)) throw err;
    await makeWritable(dir);
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  }
}

// undefined: could not tell (left to rm, which says what went wrong as before).
function lstatOrMissing(path: string): Stats | 'missing' | undefined {
  try {
    return lstatSync(path);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : undefined;
  }
}

function isPermissionError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'EACCES' || code === 'EPERM';
}

async function makeWritable(dir: string): Promise<void> {
  const st = await lstat(dir).catch(() => undefined);
  if (!st?.isDirectory()) return;
  await chmod(dir, 0o700).catch(() => undefined);
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (entry.isDirectory()) await makeWritable(join(dir, entry.name));
  }
}
