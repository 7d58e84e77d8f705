// Change sets computed through the checkout's server git dir (src/workspace/server-git.ts) while
// the agent's HEAD is still the base commit. Two ways, same result:
// - feed: only the paths the change feed names (src/workspace/change-feed.ts) are looked at, in a
//   small index of their own: cost grows with what the session changed, not with the repository;
// - walk: the session's persistent index is brought up to date with the whole working tree (its
//   stat cache: only changed files are read again), and the feed starts again from what it found.
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  dropFeed,
  FEED_INDEX,
  FEED_SEEDED,
  noteBaseHas,
  noteWalk,
  readFeedEntries,
  startFeed,
} from './change-feed.ts';
import type { RawEntry } from './change-list.ts';
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
import { copyIndex, SESSION_INDEX } from './server-git.ts';
import { appendFile, lstat, mkdir, readFile, rm, writeFile } from './small-fs.ts';

const MAX_EXCLUDE_BYTES = 1024 * 1024;

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
  const feed = await readFeedEntries(gitDir, base);
  if (feed !== undefined) {
    const fromFeed = await feedChangeSet(dir, gitDir, base, feed.paths, gitOpts).catch(() => undefined);
    if (fromFeed !== undefined) {
      // Best effort: a reset that does not learn them asks git instead.
      await noteBaseHas(gitDir, learnt(fromFeed.raw, feed.inBase)).catch(() => undefined);
      return fromFeed;
    }
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

// The paths of the feed, in a scratch index of their own: `add` brings those paths (and only
// those) up to date with the working tree, and the diff is limited to them. Every other path is
// exactly as in the base (the feed's promise), so the result is the walk's. Throws (and the caller
// walks) on anything it cannot do the walk's way.
async function feedChangeSet(
  dir: string,
  gitDir: string,
  base: string,
  paths: readonly string[],
  gitOpts: GitRunOpts,
): Promise<ChangeSet & { raw: RawEntry[] }> {
  if (paths.length === 0) return { unidiffPatch: '', files: [], raw: [], via: 'feed' };
  // Inside a nested repository, `add` of a path differs from `add` of the tree (which adds the
  // repository as one entry, or refuses): leave those to the walk.
  if (await someInsideNestedRepo(dir, paths)) throw new Error('a path of the feed is in a nested repository');
  // Pathspecs are the names themselves: no glob or magic in a file name means anything.
  const git = serverGitRunner(dir, gitDir, join(gitDir, FEED_INDEX), {
    ...gitOpts,
    env: { ...gitOpts.env, GIT_LITERAL_PATHSPECS: '1' },
  });
  await prepareInfo(dir, gitDir);
  // The scratch index holds the named paths as last added (it lives as long as the feed). A path it
  // does not hold and whose file is gone needs nothing: the diff shows the base's entry deleted, as
  // the walk does. `add` refuses a path that is in neither.
  const { held, current } = await readHeld(gitDir, base);
  const kinds = await Promise.all(paths.map((p) => kindOf(join(dir, p))));
  const onDisk = kinds.map((k) => k !== 'missing');
  // A directory (the change watcher names those that appeared) is added whole: its base entries go
  // in first, so that a tracked file in it that .gitignore matches is updated, not left out.
  const seed = paths.filter((p, i) => kinds[i] === 'dir' && held.get(p) !== 'in');
  if (seed.length > 0) await git(['reset', '--quiet', base, '--', ...seed], { GIT_OPTIONAL_LOCKS: '1' });
  const addable = paths.filter((p, i) => held.get(p) !== 'ignored' && (onDisk[i] || held.get(p) === 'in'));
  const added = await addNamed(git, addable);
  const warnings = [...added.warnings];
  const ignored = new Set<string>();
  if (added.ignored) {
    // .gitignore matches some of them: the walk keeps those the base tracks (its index starts from
    // the base), so their base entries go in first; what `add` still leaves out is untracked.
    const retry = addable.filter((p) => held.get(p) !== 'in');
    await git(['reset', '--quiet', base, '--', ...retry], { GIT_OPTIONAL_LOCKS: '1' });
    const again = await addNamed(git, retry);
    warnings.push(...again.warnings);
    if (again.ignored) {
      const { stdout } = await git(['ls-files', '-z', '--', ...retry]);
      const listed = new Set(stdout.toString('utf8').split('\0'));
      for (const p of retry) if (!listed.has(p)) ignored.add(p);
    }
  }
  await noteHeld(
    gitDir,
    base,
    current,
    paths.map((p, i) => [
      p,
      ignored.has(p) || held.get(p) === 'ignored' ? 'ignored' : onDisk[i] ? 'in' : 'out',
    ]),
  );
  const changeSet = await combinedDiff(git, gitDir, base, paths);
  return { ...changeSet, ...(warnings.length > 0 ? { warnings } : {}), via: 'feed' };
}

// What a diff against the base says of the base's paths that the feed does not know yet: a path
// added (or a rename's new name) is not in the base; one modified, deleted, retyped (or a rename's
// old name) is.
function learnt(raw: readonly RawEntry[], known: ReadonlyMap<string, boolean>): Map<string, boolean> {
  const facts = new Map<string, boolean>();
  for (const e of raw) {
    if (e.oldPath !== undefined) {
      // A rename or copy: its modes are the old file's; the new name is the added side.
      facts.set(e.oldPath, true);
      facts.set(e.path, false);
    } else facts.set(e.path, !/^0+$/.test(e.srcMode));
  }
  for (const p of known.keys()) facts.delete(p);
  return facts;
}

// What the scratch index holds of a named path: its file as last added, nothing, or nothing because
// .gitignore keeps it out (untracked).
type Held = 'in' | 'out' | 'ignored';

// `add` of named paths; a path git says matches nothing (the index no longer holds it, and the file
// is gone) is left out and the rest added again.
async function addNamed(git: ServerGit, paths: readonly string[]): Promise<Added> {
  let left = [...paths];
  for (let i = 0; i <= paths.length && left.length > 0; i++) {
    try {
      return await addPaths(git, left);
    } catch (err) {
      const unmatched =
        err instanceof GitError
          ? /^fatal: pathspec '(.*)' did not match any files$/m.exec(err.stderr)?.[1]
          : undefined;
      if (unmatched === undefined || !left.includes(unmatched)) throw err;
      left = left.filter((p) => p !== unmatched);
    }
  }
  return { warnings: [], ignored: false };
}

// The scratch index's named paths: the base, then one JSON pair [path, Held] per line (last wins).
// `current`: the file is there, for this base (appends go on it; otherwise it is written anew).
async function readHeld(
  gitDir: string,
  base: string,
): Promise<{ held: Map<string, Held>; current: boolean }> {
  const held = new Map<string, Held>();
  const text = await readFile(join(gitDir, FEED_SEEDED), 'utf8').catch(() => '');
  const lines = text.split('\n');
  if (lines[0] !== base) return { held, current: false };
  for (const line of lines.slice(1)) {
    try {
      const [path, state] = JSON.parse(line) as [unknown, unknown];
      if (typeof path === 'string' && (state === 'in' || state === 'out' || state === 'ignored')) {
        held.set(path, state);
      }
    } catch {
      // A torn last line (a crash mid-append): that path counts as not held.
    }
  }
  return { held, current: true };
}

async function noteHeld(
  gitDir: string,
  base: string,
  current: boolean,
  entries: readonly [string, Held][],
): Promise<void> {
  const file = join(gitDir, FEED_SEEDED);
  const body = entries.map((e) => `${JSON.stringify(e)}\n`).join('');
  if (current) await appendFile(file, body);
  else await writeFile(file, `${base}\n${body}`);
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
    const { warnings } = await addPaths(git, ['.']);
    let changeSet = await combinedDiff(git, gitDir, base, []);
    // The index outlives a walk: a base file it saw deleted is untracked in it now, and if it came
    // back .gitignore may keep `add` from taking it. A fresh index starts from the base and tracks
    // it, so such files get their base entries again and are added by name.
    const back = await backAfterDelete(dir, changeSet.raw);
    if (back.length > 0) {
      const literal: ServerGit = (args, env, input) =>
        git(args, { GIT_LITERAL_PATHSPECS: '1', ...env }, input);
      await literal(['reset', '--quiet', base, '--', ...back], { GIT_OPTIONAL_LOCKS: '1' });
      warnings.push(...(await addPaths(literal, back)).warnings);
      changeSet = await combinedDiff(git, gitDir, base, []);
    }
    await noteWalk(
      gitDir,
      changeSet.raw.flatMap((e) => (e.oldPath !== undefined ? [e.oldPath, e.path] : [e.path])),
    );
    return {
      ...changeSet,
      ...(warnings.length > 0 ? { warnings: [...new Set(warnings)] } : {}),
      via: 'walk',
    };
  } catch (e) {
    await dropFeed(gitDir);
    throw e;
  }
}

// The base paths a diff calls deleted (or renamed away) whose name holds a file again.
async function backAfterDelete(dir: string, raw: readonly RawEntry[]): Promise<string[]> {
  const gone = raw.flatMap((e) => (e.letter === 'D' ? [e.path] : e.letter === 'R' ? [e.oldPath!] : []));
  const kinds = await Promise.all(gone.map((p) => kindOf(join(dir, p))));
  return gone.filter((_, i) => kinds[i] === 'other');
}

type Added = { warnings: string[]; ignored: boolean };

// `add --all --ignore-errors` adds what it can and exits 1 naming what it could not, or the named
// paths .gitignore matches.
async function addPaths(git: ServerGit, pathspec: readonly string[]): Promise<Added> {
  if (pathspec.length === 0) return { warnings: [], ignored: false };
  try {
    // The index is written here: locks are needed (GIT_OPTIONAL_LOCKS only covers refreshes).
    await git(['add', '--all', '--ignore-errors', '--', ...pathspec], { GIT_OPTIONAL_LOCKS: '1' });
    return { warnings: [], ignored: false };
  } catch (err) {
    if (!(err instanceof GitError) || err.exitCode !== 1) throw err;
    return { warnings: addErrors(err), ignored: err.stderr.includes(IGNORED_NOTICE) };
  }
}

const IGNORED_NOTICE = 'The following paths are ignored by one of your .gitignore files';

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

async function kindOf(path: string): Promise<'dir' | 'other' | 'missing'> {
  const st = await lstat(path).catch(() => undefined);
  return st === undefined ? 'missing' : st.isDirectory() ? 'dir' : 'other';
}

async function exists(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => undefined)) !== undefined;
}
