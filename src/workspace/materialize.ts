// Writes a working copy of one commit of a mirror: a self-contained repository holding just that
// commit's objects (depth 1; no copy of the history, no link back into the mirror, so an agent's
// checkout can neither read nor damage the shared mirror), on a local branch tracking origin.
//
// Both functions run git inside the new checkout, so they must only ever be used on checkouts no
// agent has touched yet (a fresh one, or one waiting in the warm pool).
import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runGit } from './git.ts';
import type { Mirror } from './mirror/mirror.ts';
import { isSafeRefName } from './refs.ts';

export interface MaterializeOptions {
  /** Absolute path; must not exist yet. */
  dir: string;
  mirror: Mirror;
  commitId: string;
  /** The local branch to check out (the session's starting branch). */
  branch: string;
  /** Shown as `origin` inside the checkout (never carries credentials). */
  originUrl?: string;
  timeoutMs?: number;
  /** Made ahead of time (the warm pool): git runs at a low CPU priority. */
  background?: boolean;
}

const DEFAULT_TIMEOUT_MS = 10 * 60_000;

type Run = { timeoutMs: number; background: boolean };

export async function materializeCheckout(opts: MaterializeOptions): Promise<void> {
  const { dir, branch, commitId } = checked(opts.branch, opts.commitId, opts.dir);
  const run: Run = { timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, background: opts.background === true };
  const format = commitId.length === 64 ? 'sha256' : 'sha1';
  await runGit(['init', '--quiet', '--template=', `--object-format=${format}`, '--', dir], run);
  await fetchCommit(dir, opts.mirror, commitId, run);
  await writeFile(join(dir, '.git', 'HEAD'), `ref: refs/heads/${branch}\n`);
  await setRefs(dir, branch, commitId, opts.originUrl !== undefined);
  if (opts.originUrl !== undefined) {
    await appendFile(join(dir, '.git', 'config'), originConfig(branch, opts.originUrl));
  }
  await git(dir, ['read-tree', '--reset', '-u', commitId], run);
}

/** Moves a clean, agent-untouched checkout made by materializeCheckout to another commit. */
export async function moveCheckout(
  dirPath: string,
  mirror: Mirror,
  branchName: string,
  targetCommit: string,
  background = false,
): Promise<void> {
  const { dir, branch, commitId } = checked(branchName, targetCommit, dirPath);
  const run: Run = { timeoutMs: DEFAULT_TIMEOUT_MS, background };
  const has = await git(dir, ['cat-file', '-e', `${commitId}^{commit}`], run).then(
    () => true,
    () => false,
  );
  if (!has) await fetchCommit(dir, mirror, commitId, run);
  // Two-tree merge: only the files that differ between the commits are written.
  await git(dir, ['read-tree', '-m', '-u', 'HEAD', commitId], run);
  const hasOrigin = await git(dir, ['config', '--get', 'remote.origin.url'], run).then(
    () => true,
    () => false,
  );
  await setRefs(dir, branch, commitId, hasOrigin);
}

async function fetchCommit(dir: string, mirror: Mirror, commitId: string, run: Run): Promise<void> {
  const args = [
    'fetch',
    '--quiet',
    '--depth',
    '1',
    '--no-tags',
    '--no-write-fetch-head',
    '--',
    mirror.dir,
    commitId,
  ];
  await git(dir, args, run);
}

async function setRefs(dir: string, branch: string, commitId: string, withOrigin: boolean): Promise<void> {
  const lines = [`update refs/heads/${branch} ${commitId}`];
  if (withOrigin) lines.push(`update refs/remotes/origin/${branch} ${commitId}`);
  await runGit(['update-ref', '--stdin'], { cwd: dir, input: `${lines.join('\n')}\n` });
}

function originConfig(branch: string, url: string): string {
  return [
    '[remote "origin"]',
    `\turl = ${quote(url)}`,
    '\tfetch = +refs/heads/*:refs/remotes/origin/*',
    `[branch ${quote(branch)}]`,
    '\tremote = origin',
    `\tmerge = ${quote(`refs/heads/${branch}`)}`,
    '',
  ].join('\n');
}

// A git config value in double quotes (backslash and quote escaped; newlines are not allowed).
function quote(value: string): string {
  if (/[\n\r\0]/.test(value)) throw new Error('config values cannot contain line breaks');
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function git(dir: string, args: readonly string[], run: Run) {
  return runGit(args, { cwd: dir, ...run });
}

function checked(branch: string, commitId: string, dir: string) {
  if (!isSafeRefName(branch)) throw new Error(`unsafe branch name ${JSON.stringify(branch)}`);
  if (!/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(commitId)) throw new Error(`invalid commit id ${commitId}`);
  return { dir, branch, commitId };
}
