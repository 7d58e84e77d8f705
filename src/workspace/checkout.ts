// Prepares a standalone working copy (a plain clone; tests and tools), idempotently and
// crash-safely: the base commit is recorded only once the checkout is complete, beside the checkout
// in its server git dir's place (src/workspace/server-git.ts), never inside it where an agent
// could rewrite it.
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, parse, resolve } from 'node:path';
import { COMMIT_ID } from '../domain/commit-id.ts';
import { runGit } from './git.ts';
import { remoteFromUrl } from './git-auth.ts';
import { isSafeRefName } from './refs.ts';
import { removeTree } from './remove-tree.ts';
import { serverGitDirFor } from './server-git.ts';

export interface PrepareCheckoutOptions {
  /** Absolute path of the checkout; created (or replaced, if left incomplete by a crash). */
  dir: string;
  /** Repository to clone; without it an empty repository with one empty commit is created. */
  gitUrl?: string;
  /** Branch to clone; default: the remote's default branch. */
  branch?: string;
  /** Bound for the clone; default 10 minutes. */
  timeoutMs?: number;
  /** Extra environment for git (e.g. credential helpers). */
  env?: Record<string, string>;
}

/** Name of the file holding the base commit, in the checkout's server git dir. */
export const BASE_MARKER = 'stint-base';
const DEFAULT_CLONE_TIMEOUT_MS = 10 * 60_000;

export async function prepareCheckout(opts: PrepareCheckoutOptions): Promise<{ baseCommitId: string }> {
  const dir = checkCheckoutDir(opts.dir);
  if (opts.branch !== undefined && !isSafeRefName(opts.branch)) {
    throw new Error(`Refusing to check out unsafe branch name ${JSON.stringify(opts.branch)}`);
  }
  if (opts.gitUrl !== undefined && opts.gitUrl.trim() === '') throw new Error('gitUrl is empty');

  const stored = await readBaseMarker(dir);
  if (stored !== undefined) return { baseCommitId: stored };

  // No marker: nothing there, or a checkout interrupted half-way. Start from scratch.
  await removeTree(dir);
  await removeTree(serverGitDirFor(dir));
  await mkdir(dirname(dir), { recursive: true });
  try {
    if (opts.gitUrl !== undefined) await cloneInto(dir, opts.gitUrl, opts);
    else await initEmpty(dir, opts.env);
    const { stdout } = await runGit(['rev-parse', '--verify', 'HEAD^{commit}'], { cwd: dir, env: opts.env });
    const baseCommitId = stdout.trim();
    await writeBaseMarker(dir, baseCommitId);
    return { baseCommitId };
  } catch (err) {
    await removeTree(dir).catch(() => undefined);
    throw err;
  }
}

/** Deletes a checkout (no error if it does not exist). */
export async function removeCheckout(dir: string): Promise<void> {
  await removeTree(checkCheckoutDir(dir));
  await removeTree(serverGitDirFor(dir));
}

/** The base commit recorded by a completed prepareCheckout, or undefined. */
export async function readBaseMarker(dir: string): Promise<string | undefined> {
  if (!(await stat(dir).catch(() => undefined))?.isDirectory()) return undefined;
  const marker = join(serverGitDirFor(dir), BASE_MARKER);
  let text: string;
  try {
    text = await readFile(marker, 'utf8');
  } catch (err) {
    if (
      (err as NodeJS.ErrnoException).code === 'ENOENT' ||
      (err as NodeJS.ErrnoException).code === 'ENOTDIR'
    ) {
      return undefined;
    }
    throw err;
  }
  const id = text.trim();
  if (!COMMIT_ID.test(id)) throw new Error(`Corrupt checkout marker ${marker}: not a commit id`);
  return id;
}

async function cloneInto(dir: string, gitUrl: string, opts: PrepareCheckoutOptions): Promise<void> {
  const branchArgs = opts.branch !== undefined ? ['--branch', opts.branch] : [];
  // Credentials in the URL go to git through its environment, never its argv (visible in `ps`).
  const remote = remoteFromUrl(gitUrl);
  await runGit(['clone', '--quiet', '--no-tags', '--single-branch', ...branchArgs, '--', remote.url, dir], {
    timeoutMs: opts.timeoutMs ?? DEFAULT_CLONE_TIMEOUT_MS,
    env: { ...remote.env, ...opts.env },
  });
}

/**
 * An empty repository with one empty commit. The commit is the same everywhere (fixed author, date
 * and message), so a repoless session rebuilt elsewhere or later keeps its baseCommitId.
 */
export async function initEmpty(dir: string, env?: Record<string, string>): Promise<void> {
  await runGit(['init', '--quiet', '--', dir], { env });
  await runGit(['commit', '--quiet', '--allow-empty', '--no-verify', '-m', 'Initial commit'], {
    cwd: dir,
    env: { ...env, ...EMPTY_COMMIT_ENV },
  });
}

const EMPTY_COMMIT_DATE = '2000-01-01T00:00:00Z';
const EMPTY_COMMIT_ENV: Readonly<Record<string, string>> = {
  GIT_AUTHOR_NAME: 'Stint',
  GIT_AUTHOR_EMAIL: 'stint@localhost',
  GIT_AUTHOR_DATE: EMPTY_COMMIT_DATE,
  GIT_COMMITTER_NAME: 'Stint',
  GIT_COMMITTER_EMAIL: 'stint@localhost',
  GIT_COMMITTER_DATE: EMPTY_COMMIT_DATE,
};

/** Records that the checkout at `dir` is complete, with its base commit (atomically). */
export async function writeBaseMarker(dir: string, baseCommitId: string): Promise<void> {
  await mkdir(serverGitDirFor(dir), { recursive: true });
  const marker = join(serverGitDirFor(dir), BASE_MARKER);
  const tmp = `${marker}.tmp`;
  await writeFile(tmp, `${baseCommitId}\n`);
  await rename(tmp, marker);
}

// prepareCheckout deletes what it finds at `dir`: insist on a plausible, dedicated location.
function checkCheckoutDir(dir: string): string {
  if (typeof dir !== 'string' || !isAbsolute(dir)) {
    throw new Error(`Checkout directory must be an absolute path, got ${JSON.stringify(dir)}`);
  }
  const resolved = resolve(dir);
  const depth = resolved.slice(parse(resolved).root.length).split(/[/\\]/).filter(Boolean).length;
  if (depth < 2) throw new Error(`Refusing to use ${resolved} as a checkout directory (too close to /)`);
  return resolved;
}
