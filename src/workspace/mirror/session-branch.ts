// Publishes a session's changes as a branch on its source: the change set is applied to the base
// commit inside the mirror (a temporary index; no working tree, nothing the agent could have
// influenced except the patch text), committed on top of what the branch already holds, and pushed
// without force. A follow-up adds one more commit to the same branch; a retry after a crash finds
// its earlier push and adds nothing.
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitError, runGit } from '../git.ts';
import type { GitRemote } from '../git-auth.ts';
import { isSafeRefName } from '../refs.ts';
import { removeTree } from '../remove-tree.ts';
import type { Mirror } from './mirror.ts';

export const SESSION_TRAILER = 'Stint-Session';
export const PUSHED_PIN_PREFIX = 'pushed/';

export interface SessionBranchRequest {
  mirror: Mirror;
  remote: GitRemote;
  sessionId: string;
  /** e.g. stint/<session id> */
  branch: string;
  baseCommitId: string;
  /** The session's whole change from the base (`git apply` format); '' for none. */
  patch: string;
  /** Commit message; the session trailer is appended. */
  message: string;
  /** Where the temporary index goes (default: the OS temp dir). */
  tempDir?: string;
  timeoutMs?: number;
}

export interface SessionBranch {
  branch: string;
  /** The branch's head after publishing. */
  commitId: string;
  /** Whether this call pushed a new commit (false: the branch already held these changes). */
  pushed: boolean;
}

/** The branch holds commits this session did not make, or moved while we pushed. */
export class BranchConflictError extends Error {}

const PUSH_TIMEOUT_MS = 10 * 60_000;

/** Returns undefined when there is nothing to publish (no changes and no branch yet). */
export async function publishSessionBranch(req: SessionBranchRequest): Promise<SessionBranch | undefined> {
  if (!isSafeRefName(req.branch)) throw new Error(`unsafe branch name ${JSON.stringify(req.branch)}`);
  const { mirror } = req;
  const timeoutMs = req.timeoutMs ?? PUSH_TIMEOUT_MS;
  const pin = `${PUSHED_PIN_PREFIX}${req.sessionId}`;
  try {
    return await publish(req, pin, timeoutMs);
  } finally {
    // Held only while publishing: afterwards the pushed branch (fetched into the mirror like every
    // branch) keeps the commit; a ref per session left here would slow every later fetch.
    await mirror.unpin(pin);
  }
}

async function publish(
  req: SessionBranchRequest,
  pin: string,
  timeoutMs: number,
): Promise<SessionBranch | undefined> {
  const { mirror, remote } = req;
  const remoteHead = await remoteBranchHead(remote, req.branch, timeoutMs);
  if (remoteHead !== undefined) {
    if (!(await mirror.hasCommit(remoteHead))) {
      await mirror.git(
        [
          'fetch',
          '--quiet',
          '--no-tags',
          '--no-write-fetch-head',
          '--',
          remote.url,
          `+refs/heads/${req.branch}:refs/stint/${pin}`,
        ],
        { env: remote.env, timeoutMs },
      );
    }
    await checkOwnHistory(mirror, req.baseCommitId, remoteHead, req.sessionId, req.branch);
  }
  const parent = remoteHead ?? req.baseCommitId;
  const tree = await treeWithPatch(mirror, req.baseCommitId, req.patch, req.tempDir);
  if (tree === (await treeOf(mirror, parent))) {
    return remoteHead === undefined ? undefined : { branch: req.branch, commitId: remoteHead, pushed: false };
  }
  const message = `${req.message.trimEnd()}\n\n${SESSION_TRAILER}: ${req.sessionId}\n`;
  const { stdout } = await mirror.git(['commit-tree', tree, '-p', parent, '-F', '-'], { input: message });
  const commitId = stdout.trim();
  await mirror.pin(pin, commitId);
  try {
    await mirror.git(['push', '--quiet', '--', remote.url, `${commitId}:refs/heads/${req.branch}`], {
      env: remote.env,
      timeoutMs,
    });
  } catch (e) {
    if (e instanceof GitError && /\[rejected\]|non-fast-forward|fetch first/.test(e.stderr)) {
      throw new BranchConflictError(
        `the branch ${req.branch} changed on the remote while Stint was pushing to it`,
      );
    }
    throw e;
  }
  return { branch: req.branch, commitId, pushed: true };
}

/** The commit a branch of the remote points to, or undefined if it has no such branch. */
export async function remoteBranchHead(remote: GitRemote, branch: string, timeoutMs = 60_000) {
  const { stdout } = await runGit(['ls-remote', '--heads', '--', remote.url, `refs/heads/${branch}`], {
    env: remote.env,
    timeoutMs,
  });
  for (const line of stdout.split('\n')) {
    const [id, ref] = line.split('\t');
    if (ref === `refs/heads/${branch}` && id) return id;
  }
  return undefined;
}

// The branch must grow from the session's base through commits of this session only: anything else
// is someone's work that a commit built from the session's patch would silently undo.
async function checkOwnHistory(
  mirror: Mirror,
  base: string,
  head: string,
  sessionId: string,
  branch: string,
) {
  const isAncestor = await mirror.git(['merge-base', '--is-ancestor', base, head]).then(
    () => true,
    () => false,
  );
  const foreign = new BranchConflictError(
    `the branch ${branch} holds commits that were not made by this session; not pushing over them`,
  );
  if (!isAncestor) throw foreign;
  const { stdout } = await mirror.git([
    'log',
    `--format=%H%x09%(trailers:key=${SESSION_TRAILER},valueonly,separator=%x2C)`,
    `${base}..${head}`,
  ]);
  for (const line of stdout.split('\n').filter(Boolean)) {
    const values = (line.split('\t')[1] ?? '').split(',').map((v) => v.trim());
    if (!values.includes(sessionId)) throw foreign;
  }
}

async function treeWithPatch(
  mirror: Mirror,
  base: string,
  patch: string,
  tempDir = tmpdir(),
): Promise<string> {
  await mkdir(tempDir, { recursive: true });
  const tmp = await mkdtemp(join(tempDir, 'stint-index-'));
  const env = { GIT_INDEX_FILE: join(tmp, 'index') };
  try {
    await mirror.git(['read-tree', base], { env });
    if (patch !== '') {
      await mirror.git(['apply', '--cached', '--binary', '--whitespace=nowarn', '-'], { env, input: patch });
    }
    return (await mirror.git(['write-tree'], { env })).stdout.trim();
  } finally {
    await removeTree(tmp);
  }
}

async function treeOf(mirror: Mirror, commit: string): Promise<string> {
  return (await mirror.git(['rev-parse', '--verify', `${commit}^{tree}`])).stdout.trim();
}
