// Computes a session's change set: everything in the checkout's working tree (tracked edits, new
// untracked files not ignored by .gitignore, deletions, renames, binary files, commits the agent
// made) relative to the base commit, as a patch `git apply` accepts on that commit.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { COMMIT_ID, objectFormatOf } from '../domain/commit-id.ts';
import { parseNumstatZ, parseRawZ, toChangedFiles } from './change-list.ts';
import {
  addErrors,
  type ChangeSet,
  DIFF_CONFIG,
  DIFF_FLAGS,
  diffWithFallbacks,
  type GitRunOpts,
} from './diff-output.ts';
import { DEFAULT_GIT_MAX_BUFFER, GitError, runGit } from './git.ts';
import { serverChangeSet } from './server-change-set.ts';
import { openShadowRepo, type ShadowRepo } from './shadow-repo.ts';

export type { ChangedFile, ChangeStatus } from './change-list.ts';
export type { ChangeSet } from './diff-output.ts';

export interface ChangeSetOptions {
  /** Largest patch accepted, in bytes (default 64 MiB); a bigger one throws a GitError. */
  maxPatchBytes?: number;
  /** Bound for each git step (default 120 s). */
  timeoutMs?: number;
  /**
   * Where the temporary git dir goes (default: the OS temp dir). It is removed afterwards, but a
   * process killed mid-way leaves a `stint-shadow-*` dir behind: point this at a server-owned
   * directory that is wiped at start-up.
   */
  tempDir?: string;
  /**
   * The checkout's server git dir (src/workspace/server-git.ts): only the paths its change feed
   * names are looked at, or, when the feed is unknown, its index is kept across calls, so only
   * files changed since the last call are hashed again (src/workspace/server-change-set.ts). Used
   * while the agent's HEAD is still the base commit (no commits of its own).
   */
  serverGitDir?: string;
}

export async function computeChangeSet(
  dir: string,
  baseCommitId: string,
  opts: ChangeSetOptions = {},
): Promise<ChangeSet> {
  if (!COMMIT_ID.test(baseCommitId)) {
    throw new Error(`Invalid base commit id ${JSON.stringify(baseCommitId)}`);
  }
  const gitOpts: GitRunOpts = {
    timeoutMs: opts.timeoutMs,
    maxBuffer: opts.maxPatchBytes ?? DEFAULT_GIT_MAX_BUFFER,
    // The three diffs below read the shadow index concurrently: no index refresh/lock.
    env: { GIT_OPTIONAL_LOCKS: '0' },
  };
  if (opts.serverGitDir !== undefined && (await headIsBase(dir, baseCommitId))) {
    const gitDir = opts.serverGitDir;
    return serialized(gitDir, () => serverChangeSet(dir, gitDir, baseCommitId, gitOpts));
  }
  const start = await startingTree(dir, baseCommitId);
  const shadow = await openShadowRepo(dir, objectFormatOf(baseCommitId), opts.tempDir);
  try {
    // Stage the whole working tree into the shadow's own index (hashes new blobs into its objects).
    await shadow.git(['read-tree', start], gitOpts);
    const warnings = await addAll(shadow, gitOpts);
    const { unidiffPatch, files } = await diffWithFallbacks(
      (quotePath) => diffOnce(shadow, baseCommitId, quotePath, gitOpts),
      (lines) => shadow.setAttributes(lines),
    );
    return { unidiffPatch, files, ...(warnings.length > 0 ? { warnings } : {}), via: 'shadow' };
  } finally {
    await shadow.dispose();
  }
}

/** `git apply --check`: throws a GitError if `patch` does not apply cleanly in `dir`. */
export async function applyCheck(dir: string, patch: string): Promise<void> {
  if (patch === '') return;
  await runGit(['apply', '--check', '-'], { cwd: dir, input: patch });
}

// The agent's HEAD (its commits included) when it resolves, else the base. Starting the index from
// HEAD keeps files the agent force-added despite .gitignore.
async function startingTree(dir: string, baseCommitId: string): Promise<string> {
  try {
    const { stdout } = await runGit(
      ['--git-dir', join(dir, '.git'), 'rev-parse', '--verify', '--quiet', 'HEAD^{commit}'],
      { cwd: dir, timeoutMs: 30_000 },
    );
    const head = stdout.trim();
    return COMMIT_ID.test(head) ? head : baseCommitId;
  } catch {
    return baseCommitId;
  }
}

// `add --ignore-errors` adds what it can and exits 1 if something could not be added.
async function addAll(shadow: ShadowRepo, gitOpts: GitRunOpts): Promise<string[]> {
  try {
    await shadow.git(['add', '--all', '--ignore-errors', '--', '.'], gitOpts);
    return [];
  } catch (err) {
    if (!(err instanceof GitError) || err.exitCode !== 1) throw err;
    return addErrors(err);
  }
}

// The agent's HEAD, read as plain files (no git process reads the agent's .git): the base commit
// on a branch, with no commits of the agent's own.
async function headIsBase(dir: string, base: string): Promise<boolean> {
  const dot = join(dir, '.git');
  const head = (await readFile(join(dot, 'HEAD'), 'utf8').catch(() => '')).trim();
  if (head === base) return true;
  const m = /^ref: (refs\/heads\/[^\s]+)$/.exec(head);
  if (!m || m[1]!.includes('..')) return false;
  const loose = await readFile(join(dot, m[1]!), 'utf8').catch(() => undefined);
  if (loose !== undefined) return loose.trim() === base;
  const packed = await readFile(join(dot, 'packed-refs'), 'utf8').catch(() => '');
  return packed.split('\n').some((line) => line === `${base} ${m[1]}`);
}

// One computation at a time per server git dir (they share its index).
const running = new Map<string, Promise<unknown>>();
async function serialized<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const before = running.get(key) ?? Promise.resolve();
  const run = before.then(fn, fn);
  const tail = run.catch(() => undefined);
  running.set(key, tail);
  try {
    return await run;
  } finally {
    if (running.get(key) === tail) running.delete(key);
  }
}

async function diffOnce(shadow: ShadowRepo, base: string, quotePath: boolean, gitOpts: GitRunOpts) {
  const diff = (flags: string[]) =>
    shadow.git(
      [...DIFF_CONFIG, '-c', `core.quotePath=${quotePath}`, 'diff', ...DIFF_FLAGS, ...flags, base, '--'],
      gitOpts,
    );
  const [rawOut, numstatOut, patchOut] = await Promise.all([
    diff(['--raw', '-z', '--full-index']),
    diff(['--numstat', '-z']),
    diff(['--patch', '--binary', '--full-index']),
  ]);
  const raw = parseRawZ(rawOut.stdout.toString('utf8'));
  const files = toChangedFiles(raw, parseNumstatZ(numstatOut.stdout.toString('utf8')));
  return { raw, files, patch: patchOut.stdout };
}
