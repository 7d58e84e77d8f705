// Resets a checkout to its base from its change feed (src/workspace/change-feed.ts): when the feed
// names every change since the base and the next session wants the same commit, only those paths
// can differ from the base, so only those are looked at; the full reset (src/workspace/server-git.ts)
// walks the whole tree three times (modes, clean, read-tree).
//
// When the feed names no directory, the named files and links are removed and those the base
// tracks are written back (`ls-tree` of the named paths, then `checkout-index`). Otherwise `clean`
// removes what the base does not track under the named paths (ignored files included), files in
// modes git does not record are removed, and `checkout-index` writes again each tracked file whose
// stat data differ from the server's index (ctime trusted: a file changed with its mtime and size
// put back is written too). Either way the directories the feed names get a fresh checkout's mode
// back, and the directories left empty (made by the session: a base directory always holds a
// tracked file again) are removed.

import { join } from 'node:path';
import { forgetFeed, readFeedEntries } from './change-feed.ts';
import { runGitRaw } from './git.ts';
import { DIR_MODE, FILE_MODES } from './mode-reset.ts';
import type { ServerGitRun } from './server-git.ts';
import { chmod, lstat, rm, rmdir } from './small-fs.ts';

/** How every reset's git runs: ctime trusted, full stat checks, symlinks as symlinks. */
export const RESET_CONFIG = [
  '-c',
  'core.trustctime=true',
  '-c',
  'core.checkStat=default',
  '-c',
  'core.symlinks=true',
];

/**
 * Resets the checkout at `workTree` to `commitId` from its feed. False (having changed nothing)
 * when the feed is unknown, for another commit, or not complete (a walk started it); throws when
 * git refuses a path (a path beyond a symbolic link): the caller then resets the whole tree, the
 * feed being dropped by then.
 */
export async function resetFromFeed(
  gitDir: string,
  workTree: string,
  commitId: string,
  run: ServerGitRun,
): Promise<boolean> {
  const feed = await readFeedEntries(gitDir, commitId);
  if (feed === undefined || !feed.complete) return false;
  // From here on the feed is gone: a crash mid-reset leaves the next reset to walk the tree.
  await forgetFeed(gitDir);
  const paths = [...new Set([...feed.paths, ...feed.dirs])];
  if (paths.length === 0) return true;
  // Raw output: a directory's listing may hold names that are not UTF-8.
  const git = (args: string[], input?: Buffer) =>
    runGitRaw(['--git-dir', gitDir, '--work-tree', workTree, ...RESET_CONFIG, ...args], {
      ...run,
      cwd: workTree,
      // Pathspecs are the names themselves: no glob or magic in a file name means anything.
      env: { GIT_LITERAL_PATHSPECS: '1' },
      ...(input !== undefined ? { input } : {}),
    });
  if (feed.dirs.length === 0 && (await removeLeaves(workTree, paths))) {
    // Every named path was a file, a link or nothing (a directory the watcher would have named):
    // all are gone now, and those the base tracks are written again from the index.
    await checkoutNamed(git, commitId, paths, feed.inBase);
  } else {
    await git(['clean', '-ffdxq', '--', ...paths]);
    // A mode git does not record (600 for 644) set in the second the file was written leaves its
    // stat data matching the index: such a file is removed, and written again below.
    await removeOddModes(workTree, feed.paths);
    const { stdout } = await git(['ls-files', '-z', '--', ...paths]);
    if (stdout.length > 0) await git(['checkout-index', '-f', '-u', '-z', '--stdin'], stdout);
  }
  await putBackDirs(workTree, feed.dirs, paths);
  return true;
}

// Removes each named path that is a file or a link (under real directories only); false, having
// removed nothing, when one is a directory.
async function removeLeaves(workTree: string, paths: readonly string[]): Promise<boolean> {
  const found = await Promise.all(paths.map((p) => lstat(join(workTree, p)).catch(() => undefined)));
  if (found.some((st) => st?.isDirectory())) return false;
  for (const [i, p] of paths.entries()) {
    if (found[i] && (await realDirInside(workTree, parentOf(p))))
      await rm(join(workTree, p), { force: true });
  }
  return true;
}

// The named paths the base tracks are written again: those the feed knows about (a change set's
// diff against the base said), the others as `ls-tree` finds them (it reads only the base's trees
// on the way to them); `checkout-index` (which reads the whole index) runs only when there are
// some (it writes no index at all when a name is not in it).
async function checkoutNamed(
  git: Git,
  commitId: string,
  paths: readonly string[],
  inBase: ReadonlyMap<string, boolean>,
): Promise<void> {
  const tracked: Buffer[] = paths.filter((p) => inBase.get(p) === true).map((p) => Buffer.from(`${p}\0`));
  const unknown = paths.filter((p) => !inBase.has(p));
  if (unknown.length > 0) {
    const args = ['ls-tree', '-z', '--name-only', '--full-tree', commitId, '--', ...unknown];
    tracked.push((await git(args)).stdout);
  }
  const names = Buffer.concat(tracked);
  if (names.length > 0) await git(['checkout-index', '-f', '-u', '-z', '--stdin'], names);
}

type Git = (args: string[], input?: Buffer) => Promise<{ stdout: Buffer }>;

async function removeOddModes(workTree: string, paths: readonly string[]): Promise<void> {
  for (const p of paths) {
    const st = await lstat(join(workTree, p)).catch(() => undefined);
    if (
      st?.isFile() &&
      !FILE_MODES.includes(st.mode & 0o7777) &&
      (await realDirInside(workTree, parentOf(p)))
    ) {
      await rm(join(workTree, p), { force: true });
    }
  }
}

const parentOf = (p: string) => p.split('/').slice(0, -1).join('/');

// The named directories get DIR_MODE back; those and the parents of every named path are removed
// when empty, deepest first.
async function putBackDirs(
  workTree: string,
  dirs: readonly string[],
  paths: readonly string[],
): Promise<void> {
  const candidates = new Set(dirs);
  for (const p of paths) {
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) candidates.add(parts.slice(0, i).join('/'));
  }
  const deepestFirst = [...candidates].sort((a, b) => b.split('/').length - a.split('/').length);
  for (const rel of deepestFirst) {
    if (!(await realDirInside(workTree, rel))) continue;
    const abs = join(workTree, rel);
    const removed = await rmdir(abs).then(
      () => true,
      () => false,
    );
    if (!removed && ((await lstat(abs)).mode & 0o7777) !== DIR_MODE) await chmod(abs, DIR_MODE);
  }
}

// `rel` and every directory above it are real directories (no symbolic link on the way out).
async function realDirInside(workTree: string, rel: string): Promise<boolean> {
  if (rel === '') return true;
  const parts = rel.split('/');
  for (let i = 1; i <= parts.length; i++) {
    const st = await lstat(join(workTree, ...parts.slice(0, i))).catch(() => undefined);
    if (!st?.isDirectory()) return false;
  }
  return true;
}
