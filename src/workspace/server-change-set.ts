// Change sets computed through the checkout's server git dir (src/workspace/server-git.ts) while
// the agent's HEAD is still the base commit. Two ways, same result:
// - feed: only the paths the change feed names (src/workspace/change-feed.ts) are looked at, in a
//   small index of their own: cost grows with what the session changed, not with the repository;
// - walk: the session's persistent index is brought up to date with the whole working tree (its
//   stat cache: only changed files are read again), and the feed starts again from what it found.
import { copyFile, lstat, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dropFeed, noteWalk, readFeed, startFeed } from './change-feed.ts';
import {
  addErrors,
  type ChangeSet,
  COMBINED_DIFF_FLAGS,
  DIFF_CONFIG,
  DIFF_FLAGS,
  diffWithFallbacks,
  type GitRunOpts,
  splitCombinedDiff,
} from './diff-output.ts';
import { GitError, runGitRaw } from './git.ts';
import { copyIndex } from './server-git.ts';

const MAX_EXCLUDE_BYTES = 1024 * 1024;
/** The per-session index in a server git dir (removed by every reset). */
export const SESSION_INDEX = 'stint-session-index';
/** The feed's scratch index (rebuilt by every feed computation). */
const FEED_INDEX = 'stint-feed-index';

type ServerGit = (
  args: string[],
  env?: Record<string, string>,
  input?: Buffer,
) => Promise<{ stdout: Buffer }>;

/** The change set from the feed when it is known (and usable), else from a walk of the tree. */
export async function serverChangeSet(
  dir: string,
  gitDir: string,
  base: string,
  gitOpts: GitRunOpts,
): Promise<ChangeSet> {
  const feed = await readFeed(gitDir, base);
  if (feed !== undefined) {
    const fromFeed = await feedChangeSet(dir, gitDir, base, feed, gitOpts).catch(() => undefined);
    if (fromFeed !== undefined) return fromFeed;
  }
  return walkChangeSet(dir, gitDir, base, gitOpts);
}

function serverGitRunner(dir: string, gitDir: string, index: string, gitOpts: GitRunOpts): ServerGit {
  return (args, env = {}, input) =>
    runGitRaw(['--git-dir', gitDir, '--work-tree', dir, ...args], {
      ...gitOpts,
      cwd: dir,
      env: { ...gitOpts.env, GIT_INDEX_FILE: index, ...env },
      ...(input !== undefined ? { input } : {}),
    });
}

// The paths of the feed: their entries in the base commit go into an index of their own, `add`
// brings those paths (and only those) up to date with the working tree, and the diff is limited to
// them. Every other path is exactly as in the base (the feed's promise), so the result is the
// walk's. Throws (and the caller walks) on anything it cannot do the walk's way.
async function feedChangeSet(
  dir: string,
  gitDir: string,
  base: string,
  paths: readonly string[],
  gitOpts: GitRunOpts,
): Promise<ChangeSet> {
  if (paths.length === 0) return { unidiffPatch: '', files: [], via: 'feed' };
  // Inside a nested repository, `add` of a path differs from `add` of the tree (which adds the
  // repository as one entry, or refuses): leave those to the walk.
  if (await someInsideNestedRepo(dir, paths)) throw new Error('a path of the feed is in a nested repository');
  const index = join(gitDir, FEED_INDEX);
  await rm(index, { force: true });
  // Pathspecs are the names themselves: no glob or magic in a file name means anything.
  const git = serverGitRunner(dir, gitDir, index, {
    ...gitOpts,
    env: { ...gitOpts.env, GIT_LITERAL_PATHSPECS: '1' },
  });
  await prepareInfo(dir, gitDir);
  const { stdout: entries } = await git(['ls-tree', '-r', '-z', '--full-tree', base, '--', ...paths]);
  await git(['update-index', '-z', '--index-info'], { GIT_OPTIONAL_LOCKS: '1' }, entries);
  const inBase = new Set(
    entries
      .toString('utf8')
      .split('\0')
      .filter((e) => e !== '')
      .map((e) => e.slice(e.indexOf('\t') + 1)),
  );
  // `add` refuses a pathspec matching nothing: a path in neither the base nor the tree changed nothing.
  const present = await Promise.all(
    paths.map(async (p) => inBase.has(p) || (await lstat(join(dir, p)).catch(() => undefined)) !== undefined),
  );
  const addable = paths.filter((_, i) => present[i]);
  let warnings: string[] = [];
  if (addable.length > 0) warnings = await addPaths(git, addable);
  const changeSet = await combinedDiff(git, gitDir, base, paths);
  await rm(index, { force: true });
  return { ...changeSet, ...(warnings.length > 0 ? { warnings } : {}), via: 'feed' };
}

// The session's own index, started from the reset's: the reset's index must keep the stat data
// of what the reset wrote, so that anything the agent touched (even a mode git does not record,
// 600 for 644) differs from it at the next reset and is rewritten.
async function walkChangeSet(
  dir: string,
  gitDir: string,
  base: string,
  gitOpts: GitRunOpts,
): Promise<ChangeSet> {
  const index = join(gitDir, SESSION_INDEX);
  const git = serverGitRunner(dir, gitDir, index, gitOpts);
  await prepareInfo(dir, gitDir);
  if (!(await exists(index))) {
    if (await exists(join(gitDir, 'index'))) await copyIndex(join(gitDir, 'index'), index);
    else await git(['read-tree', base]);
  }
  // Started before the walk: a file tool writing during it appends to the new feed, and anything
  // else starting meanwhile drops it (src/workspace/change-feed.ts).
  await startFeed(gitDir, base, 'walking');
  try {
    const warnings = await addPaths(git, ['.']);
    const changeSet = await combinedDiff(git, gitDir, base, []);
    await noteWalk(
      gitDir,
      changeSet.raw.flatMap((e) => (e.oldPath !== undefined ? [e.oldPath, e.path] : [e.path])),
    );
    return { ...changeSet, ...(warnings.length > 0 ? { warnings } : {}), via: 'walk' };
  } catch (e) {
    await dropFeed(gitDir);
    throw e;
  }
}

// `add --all --ignore-errors` adds what it can and exits 1 naming what it could not.
async function addPaths(git: ServerGit, pathspec: readonly string[]): Promise<string[]> {
  try {
    // The index is written here: locks are needed (GIT_OPTIONAL_LOCKS only covers refreshes).
    await git(['add', '--all', '--ignore-errors', '--', ...pathspec], { GIT_OPTIONAL_LOCKS: '1' });
    return [];
  } catch (err) {
    if (!(err instanceof GitError) || err.exitCode !== 1) throw err;
    return addErrors(err);
  }
}

// One diff giving --raw, --numstat and the patch together, limited to `pathspec` (all when empty).
async function combinedDiff(git: ServerGit, gitDir: string, base: string, pathspec: readonly string[]) {
  const attributes = join(gitDir, 'info', 'attributes');
  await rm(attributes, { force: true });
  const changeSet = await diffWithFallbacks(
    async (quotePath) => {
      const { stdout } = await git([
        ...DIFF_CONFIG,
        '-c',
        `core.quotePath=${quotePath}`,
        'diff',
        ...DIFF_FLAGS,
        ...COMBINED_DIFF_FLAGS,
        base,
        '--',
        ...pathspec,
      ]);
      return splitCombinedDiff(stdout);
    },
    (lines) => writeFile(attributes, lines.map((l) => `${l}\n`).join('')),
  );
  await rm(attributes, { force: true });
  return changeSet;
}

// The checkout's .git/info/exclude holds ignore rules git would honour there; keep honouring them.
async function prepareInfo(dir: string, gitDir: string): Promise<void> {
  await mkdir(join(gitDir, 'info'), { recursive: true });
  const from = join(dir, '.git', 'info', 'exclude');
  const to = join(gitDir, 'info', 'exclude');
  const st = await lstat(from).catch(() => undefined);
  if (!st?.isFile() || st.size > MAX_EXCLUDE_BYTES) {
    await rm(to, { force: true });
    return;
  }
  await copyFile(from, to);
}

async function someInsideNestedRepo(dir: string, paths: readonly string[]): Promise<boolean> {
  const ancestors = new Set<string>();
  for (const p of paths) {
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) ancestors.add(parts.slice(0, i).join('/'));
  }
  const found = await Promise.all([...ancestors].map((a) => exists(join(dir, a, '.git'))));
  return found.includes(true);
}

async function exists(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => undefined)) !== undefined;
}
