// Sets a checkout to one commit of a mirror: the files, through the checkout's server git dir
// (src/workspace/server-git.ts, outside the checkout), and a fresh .git for the agent holding just
// that commit's objects (depth 1; no link back into the mirror, so an agent can neither read nor
// damage the shared mirror), on a local branch tracking origin.
//
// The same function makes a new checkout and resets a used one (a finished session's, back in the
// pool): no git command reads the checkout's own .git, so what the previous agent left there does
// not matter, and the stat cache of the server's index makes a reset cost what differs.
import { chmod, mkdir, stat } from 'node:fs/promises';
import { COMMIT_ID, objectFormatOf } from '../domain/commit-id.ts';
import type { Mirror } from './mirror/mirror.ts';
import { isSafeRefName } from './refs.ts';
import { removeTree } from './remove-tree.ts';
import {
  createServerGit,
  ensureCommit,
  resetWorkTree,
  type ServerGitRun,
  settleIndex,
  settleUntouchedIndex,
  tooManyPacks,
  writeAgentGitDir,
} from './server-git.ts';

export interface MaterializeOptions {
  /** Absolute path of the checkout (the agent's work tree). */
  dir: string;
  /** The checkout's server git dir (outside `dir`); made when missing. */
  gitDir: string;
  mirror: Mirror;
  commitId: string;
  /** The local branch to check out (the session's starting branch). */
  branch: string;
  /** Shown as `origin` inside the checkout (never carries credentials). */
  originUrl?: string;
  timeoutMs?: number;
  /** Made ahead of time (the warm pool): git runs at a low CPU priority. */
  background?: boolean;
  /**
   * Serves session after session (the pool): a new checkout is settled before anyone has it, which
   * may wait up to a second (no CPU); otherwise its first reset settles it.
   */
  reused?: boolean;
}

const DEFAULT_TIMEOUT_MS = 10 * 60_000;

/**
 * Makes (or resets) the checkout at `dir` to `commitId`. A new checkout when `dir` or `gitDir` is
 * missing; otherwise only what differs from the commit is written or removed.
 */
export async function materializeCheckout(opts: MaterializeOptions): Promise<void> {
  const { branch, commitId } = checked(opts.branch, opts.commitId);
  const run: ServerGitRun = {
    timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    background: opts.background === true,
  };
  const format = objectFormatOf(commitId);
  const fresh = !(await isDir(opts.gitDir)) || (await tooManyPacks(opts.gitDir));
  if (fresh) {
    // Nothing to reuse (or objects grown too big to copy to every session): start over.
    await removeTree(opts.gitDir);
    await removeTree(opts.dir);
    await createServerGit(opts.gitDir, format, run);
  }
  await mkdir(opts.dir, { recursive: true });
  // The previous agent may have locked its own root.
  await chmod(opts.dir, 0o755);
  await ensureCommit(opts.gitDir, opts.mirror, commitId, run);
  await resetWorkTree(opts.gitDir, opts.dir, commitId, run);
  // A new checkout of the pool is settled before anyone has it; a reused one moved to another
  // commit by a refresh (which reads every file again).
  if (fresh && opts.reused) await settleUntouchedIndex(opts.gitDir, commitId);
  else await settleIndex(opts.gitDir, opts.dir, commitId, run);
  await writeAgentGitDir(opts.gitDir, opts.dir, {
    branch,
    commitId,
    ...(opts.originUrl !== undefined ? { originUrl: opts.originUrl } : {}),
  });
}

async function isDir(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() === true;
}

function checked(branch: string, commitId: string) {
  if (!isSafeRefName(branch)) throw new Error(`unsafe branch name ${JSON.stringify(branch)}`);
  if (!COMMIT_ID.test(commitId)) throw new Error(`invalid commit id ${commitId}`);
  return { branch, commitId };
}
