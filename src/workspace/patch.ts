// Computes a session's change set: everything in the checkout's working tree (tracked edits, new
// untracked files not ignored by .gitignore, deletions, renames, binary files, commits the agent
// made) relative to the base commit, as a patch `git apply` accepts on that commit.
import { isUtf8 } from 'node:buffer';
import { copyFile, lstat, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { COMMIT_ID } from '../domain/commit-id.ts';
import { type ChangedFile, parseNumstatZ, parseRawZ, type RawEntry, toChangedFiles } from './change-list.ts';
import { DEFAULT_GIT_MAX_BUFFER, GitError, runGit, runGitRaw } from './git.ts';
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
  /**
   * The checkout's server git dir (src/workspace/server-git.ts): its index is kept across calls, so
   * only files changed since the last call are hashed again, and one diff gives the file list and
   * the patch. Used while the agent's HEAD is still the base commit (no commits of its own).
   */
  serverGitDir?: string;
}

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
  if (opts.serverGitDir !== undefined && (await headIsBase(dir, baseCommitId))) {
    const gitDir = opts.serverGitDir;
    return serialized(gitDir, () => persistentChangeSet(dir, gitDir, baseCommitId, gitOpts));
  }
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

type DiffResult = { raw: RawEntry[]; files: ChangedFile[]; patch: Buffer };
type DiffOnce = (quotePath: boolean) => Promise<DiffResult>;

async function diffIndex(shadow: ShadowRepo, base: string, gitOpts: GitRunOpts): Promise<ChangeSet> {
  return diffWithFallbacks(
    (quotePath) => diffOnce(shadow, base, quotePath, gitOpts),
    (lines) => shadow.setAttributes(lines),
  );
}

async function diffWithFallbacks(
  diff: DiffOnce,
  setAttributes: (lines: readonly string[]) => Promise<void>,
): Promise<ChangeSet> {
  let quotePath = false;
  let result = await diff(quotePath);
  if (!isUtf8(result.patch)) {
    // Non-UTF-8 file contents: diff those files as binary.
    await setAttributes(pathsWithInvalidUtf8(result.patch, result.raw).map(binaryAttributeLine));
    result = await diff(quotePath);
  }
  if (!isUtf8(result.patch)) {
    // Non-UTF-8 file names (or anything else): all-ASCII output, names quoted, contents in base85.
    quotePath = true;
    await setAttributes(['* -diff']);
    result = await diff(quotePath);
  }
  return { unidiffPatch: result.patch.toString('utf8'), files: result.files };
}

// The server git dir's index, brought up to date with the working tree (its stat cache: only
// changed files are read), and one diff giving --raw, --numstat and the patch together.
async function persistentChangeSet(
  dir: string,
  gitDir: string,
  base: string,
  gitOpts: GitRunOpts,
): Promise<ChangeSet> {
  // The session's own index, started from the reset's: the reset's index must keep the stat data
  // of what the reset wrote, so that anything the agent touched (even a mode git does not record,
  // 600 for 644) differs from it at the next reset and is rewritten.
  const index = join(gitDir, SESSION_INDEX);
  const git = (args: string[], env: Record<string, string> = {}) =>
    runGitRaw(['--git-dir', gitDir, '--work-tree', dir, ...args], {
      ...gitOpts,
      cwd: dir,
      env: { ...gitOpts.env, GIT_INDEX_FILE: index, ...env },
    });
  const attributes = join(gitDir, 'info', 'attributes');
  await mkdir(join(gitDir, 'info'), { recursive: true });
  await rm(attributes, { force: true });
  await copyExcludes(join(dir, '.git', 'info', 'exclude'), join(gitDir, 'info', 'exclude'));
  if (!(await exists(index))) {
    if (await exists(join(gitDir, 'index'))) await copyFile(join(gitDir, 'index'), index);
    else await git(['read-tree', base]);
  }
  let warnings: string[] = [];
  try {
    // The index is written here: locks are needed (GIT_OPTIONAL_LOCKS only covers refreshes).
    await git(['add', '--all', '--ignore-errors', '--', '.'], { GIT_OPTIONAL_LOCKS: '1' });
  } catch (err) {
    if (!(err instanceof GitError) || err.exitCode !== 1) throw err;
    warnings = addErrors(err);
  }
  const changeSet = await diffWithFallbacks(
    async (quotePath) => {
      const { stdout } = await git([
        ...DIFF_CONFIG,
        '-c',
        `core.quotePath=${quotePath}`,
        'diff',
        ...DIFF_FLAGS,
        '-z',
        '--raw',
        '--numstat',
        '--patch',
        '--binary',
        '--full-index',
        base,
        '--',
      ]);
      return splitCombinedDiff(stdout);
    },
    (lines) => writeFile(attributes, lines.map((l) => `${l}\n`).join('')),
  );
  await rm(attributes, { force: true });
  return warnings.length > 0 ? { ...changeSet, warnings } : changeSet;
}

// `diff -z --raw --numstat --patch`: raw records, numstat records, an empty field, then the patch.
function splitCombinedDiff(out: Buffer): DiffResult {
  if (out.length === 0) return { raw: [], files: [], patch: Buffer.alloc(0) };
  const sep = out.indexOf('\0\0');
  const header = (sep < 0 ? out : out.subarray(0, sep + 1)).toString('utf8');
  const patch = sep < 0 ? Buffer.alloc(0) : out.subarray(sep + 2);
  const tokens = header.split('\0');
  let i = 0;
  // Raw records start with ':'; each is followed by one path (two for renames and copies).
  while (i < tokens.length && tokens[i]!.startsWith(':')) {
    const letter = /([A-Z])\d*$/.exec(tokens[i]!)?.[1];
    i += letter === 'R' || letter === 'C' ? 3 : 2;
  }
  const raw = parseRawZ(tokens.slice(0, i).join('\0'));
  const files = toChangedFiles(raw, parseNumstatZ(tokens.slice(i).join('\0')));
  return { raw, files, patch };
}

function addErrors(err: GitError): string[] {
  return err.stderr
    .split('\n')
    .filter((line) => line.startsWith('error: '))
    .map((line) => line.slice('error: '.length));
}

const MAX_EXCLUDE_BYTES = 1024 * 1024;
/** The per-session index in a server git dir (removed by every reset). */
export const SESSION_INDEX = 'stint-session-index';

// The checkout's .git/info/exclude holds ignore rules git would honour there; keep honouring them.
async function copyExcludes(from: string, to: string): Promise<void> {
  const st = await lstat(from).catch(() => undefined);
  if (!st?.isFile() || st.size > MAX_EXCLUDE_BYTES) {
    await rm(to, { force: true });
    return;
  }
  await copyFile(from, to);
}

async function exists(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => undefined)) !== undefined;
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
