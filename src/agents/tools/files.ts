/** File access confined to a checkout: no absolute paths, no `..`, no .git, no escape through symlinks. */
import { readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import { noteChanges } from '../../workspace/change-feed.ts';
import { serverGitDirFor } from '../../workspace/server-git.ts';
// Path checks at once (src/workspace/small-fs.ts); the file's content is read and written async.
import { lstat, mkdir, realpath } from '../../workspace/small-fs.ts';

export class PathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PathError';
  }
}

export function checkRelativePath(path: string): string {
  if (typeof path !== 'string' || path === '' || path.includes('\0'))
    throw new PathError('path must be non-empty');
  if (isAbsolute(path)) throw new PathError(`path must be relative to the checkout: ${path}`);
  const parts = path.split(/[\\/]+/).filter((p) => p !== '' && p !== '.');
  if (parts.length === 0) throw new PathError(`path names no file: ${path}`);
  if (parts.includes('..')) throw new PathError(`path must not contain '..': ${path}`);
  if (parts[0] === '.git') throw new PathError(`path must not be inside .git: ${path}`);
  return parts.join('/');
}

/** Resolves `path` inside `root`, refusing anything whose real location is outside it. */
export async function resolveInside(root: string, path: string): Promise<string> {
  return (await resolveReal(root, path)).target;
}

// The checkout's real location, and `path` inside it (refused if its real location is outside).
async function resolveReal(root: string, path: string): Promise<{ realRoot: string; target: string }> {
  const clean = checkRelativePath(path);
  const realRoot = await realpath(root);
  const target = join(realRoot, clean);
  // Walk up to the deepest existing ancestor and check where it really is.
  let probe = target;
  for (;;) {
    try {
      const real = await realpath(probe);
      const rel = relative(realRoot, real);
      if (rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
        throw new PathError(`path leaves the checkout: ${path}`);
      }
      break;
    } catch (e) {
      if (e instanceof PathError) throw e;
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      const up = dirname(probe);
      if (up === probe) break;
      probe = up;
    }
  }
  return { realRoot, target };
}

export async function writeFileInside(root: string, path: string, content: string | Buffer): Promise<void> {
  const { realRoot, target } = await resolveReal(root, path);
  try {
    const st = await lstat(target);
    if (st.isSymbolicLink()) throw new PathError(`refusing to write through a symbolic link: ${path}`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  await mkdir(dirname(target), { recursive: true });
  // The path git will see (through any symlinked directory), named in the change feed before and
  // after the write (src/workspace/change-feed.ts).
  const named = relative(realRoot, join(await realpath(dirname(target)), basename(target)))
    .split(sep)
    .join('/');
  const gitDir = serverGitDirFor(root);
  await noteChanges(gitDir, [named]);
  await writeFile(target, content);
  await noteChanges(gitDir, [named]);
}

export async function readFileInside(root: string, path: string): Promise<string> {
  return readFile(await resolveInside(root, path), 'utf8');
}
