// Computes a session's change set: everything in the checkout's working tree (tracked edits, new
// untracked files not ignored by .gitignore, deletions, renames, binary files, commits the agent
// made) relative to the base commit, as a patch `git apply` accepts on that commit.
import { isUtf8 } from 'node:buffer';
import { join } from 'node:path';
import { type ChangedFile, parseNumstatZ, parseRawZ, toChangedFiles } from './change-list.ts';
import { DEFAULT_GIT_MAX_BUFFER, GitError, runGit } from './git.ts';
import { binaryAttributeLine, pathsWithInvalidUtf8 } from './non-utf8.ts';
import { openShadowRepo, type ShadowRepo } from './shadow-repo.ts';

export type { ChangedFile, ChangeStatus } from './change-list.ts';

export interface ChangeSet {
  /** `git diff` output with a/ b/ prefixes; '' when nothing changed. */
  unidiffPatch: string;
  files: ChangedFile[];
  /** Files git could not add (unreadable, nested repository without a commit…); absent if none. */
  warnings?: string[];
}

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
}

const COMMIT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

// Standard output whatever any configuration says (the shadow repo reads no user config anyway).
const DIFF_CONFIG = ['-c', 'diff.noprefix=false', '-c', 'diff.mnemonicPrefix=false'];
const DIFF_FLAGS = [
  '--cached',
  '--find-renames',
  '--no-color',
  '--no-ext-diff',
  '--no-textconv',
  '--src-prefix=a/',
  '--dst-prefix=b/',
  '--no-relative',
];

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
  const start = await startingTree(dir, baseCommitId);
  const shadow = await openShadowRepo(dir, baseCommitId.length === 64 ? 'sha256' : 'sha1', opts.tempDir);
  try {
    // Stage the whole working tree into the shadow's own index (hashes new blobs into its objects).
    await shadow.git(['read-tree', start], gitOpts);
    const warnings = await addAll(shadow, gitOpts);
    const changeSet = await diffIndex(shadow, baseCommitId, gitOpts);
    return warnings.length > 0 ? { ...changeSet, warnings } : changeSet;
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
    return err.stderr
      .split('\n')
      .filter((line) => line.startsWith('error: '))
      .map((line) => line.slice('error: '.length));
  }
}

type GitRunOpts = { timeoutMs?: number; maxBuffer: number; env: Record<string, string> };

async function diffIndex(shadow: ShadowRepo, base: string, gitOpts: GitRunOpts): Promise<ChangeSet> {
  let quotePath = false;
  let result = await diffOnce(shadow, base, quotePath, gitOpts);
  if (!isUtf8(result.patch)) {
    // Non-UTF-8 file contents: diff those files as binary.
    await shadow.setAttributes(pathsWithInvalidUtf8(result.patch, result.raw).map(binaryAttributeLine));
    result = await diffOnce(shadow, base, quotePath, gitOpts);
  }
  if (!isUtf8(result.patch)) {
    // Non-UTF-8 file names (or anything else): all-ASCII output, names quoted, contents in base85.
    quotePath = true;
    await shadow.setAttributes(['* -diff']);
    result = await diffOnce(shadow, base, quotePath, gitOpts);
  }
  return { unidiffPatch: result.patch.toString('utf8'), files: result.files };
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
