// Workspace snapshots, so that a session can move between machines: the working tree of a checkout
// as a git tree id (cheap to compare) and a binary patch from its base commit (to rebuild it).
//
// Both come from a persistent shadow git dir (src/workspace/shadow-repo.ts) kept OUTSIDE the
// checkout (the agent can write anything inside it): its own index (whose stat cache makes repeated snapshots cheap), the
// checkout's objects borrowed read-only through alternates, no user configuration, and
// attributes that switch off every content conversion, so snapshots are byte-exact and ASCII.
import { mkdir, readFile, realpath, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { objectFormatOf } from '../domain/commit-id.ts';
import { writeBaseMarker } from './checkout.ts';
import { GitError, runGit } from './git.ts';
import type { GitRemote } from './git-auth.ts';
import { removeTree } from './remove-tree.ts';
import { initShadowGitDir, shadowGitRun } from './shadow-repo.ts';

export interface Snapshot {
  baseCommitId: string;
  treeId: string;
  patch: string;
}

/** Largest snapshot patch accepted (bytes). */
export const MAX_SNAPSHOT_BYTES = 32 * 1024 * 1024;
const ATTRIBUTES = '* -text -filter -ident -working-tree-encoding -diff\n';

/** The tree id of the checkout's working tree (tracked and untracked files, minus ignored ones). */
export async function workingTreeId(
  checkoutDir: string,
  shadowDir: string,
  baseCommitId: string,
): Promise<string> {
  await stageWorkingTree(checkoutDir, shadowDir, baseCommitId);
  return stagedTreeId(checkoutDir, shadowDir);
}

/**
 * Stages the working tree in the shadow index. Returns the index's signature: git rewrites the
 * index only when something changed, so an equal signature means an unchanged tree.
 */
export async function stageWorkingTree(
  checkoutDir: string,
  shadowDir: string,
  baseCommitId: string,
): Promise<string> {
  await openShadow(checkoutDir, shadowDir, baseCommitId);
  await shadowGit(
    checkoutDir,
    shadowDir,
  )(['add', '--all', '--ignore-errors', '--', '.']).catch((e: unknown) => {
    // Exit 1: some file could not be added (unreadable…); the tree holds the rest.
    if (!(e instanceof GitError) || e.exitCode !== 1) throw e;
  });
  return indexSignature(shadowDir);
}

/** The tree id of what stageWorkingTree staged last. */
export async function stagedTreeId(checkoutDir: string, shadowDir: string): Promise<string> {
  return (await shadowGit(checkoutDir, shadowDir)(['write-tree'])).trim();
}

/** Identifies the current version of the shadow index (git replaces the file on every write). */
export async function indexSignature(shadowDir: string): Promise<string> {
  const st = await stat(join(shadowDir, 'index'));
  return `${st.ino}:${st.mtimeMs}:${st.size}`;
}

/** The tree id of a commit. */
export async function commitTreeId(
  checkoutDir: string,
  shadowDir: string,
  commitId: string,
): Promise<string> {
  await openShadow(checkoutDir, shadowDir, commitId);
  return (await shadowGit(checkoutDir, shadowDir)(['rev-parse', '--verify', `${commitId}^{tree}`])).trim();
}

/** A binary patch from the base commit to the tree last staged by workingTreeId. */
export async function snapshotPatch(
  checkoutDir: string,
  shadowDir: string,
  baseCommitId: string,
): Promise<string> {
  try {
    return await shadowGit(checkoutDir, shadowDir)(
      [
        'diff',
        '--cached',
        '--binary',
        '--full-index',
        '--no-renames',
        '--no-color',
        '--no-ext-diff',
        baseCommitId,
        '--',
      ],
      MAX_SNAPSHOT_BYTES,
    );
  } catch (e) {
    if (e instanceof GitError && e.reason === 'max-buffer') {
      throw new Error(
        `the workspace differs from its base by more than ${MAX_SNAPSHOT_BYTES >> 20} MiB, too much to ` +
          'snapshot for resuming on another worker; keep generated files out of it (.gitignore)',
      );
    }
    throw e;
  }
}

export interface RestoreOptions {
  dir: string;
  shadowDir: string;
  /**
   * Makes a fresh checkout of the session's source (or an empty repository) in `dir` at `base`
   * (when it can); returns its base.
   */
  prepare(base: string): Promise<string>;
  /**
   * The session's source, to fetch a base commit the fresh checkout lacks; none for an empty
   * repository. Its credentials travel in `env`, never in the URL (argv is visible in `ps`).
   */
  remote?: GitRemote;
  snapshot: Snapshot;
}

/**
 * Rebuilds a checkout from a snapshot: a fresh clone (or empty repository), moved to the snapshot's
 * base commit when it has one, with the patch applied. Returns the base commit and the rebuilt tree id.
 */
export async function restoreSnapshot(
  opts: RestoreOptions,
): Promise<{ baseCommitId: string; treeId: string }> {
  const { dir, shadowDir, snapshot } = opts;
  await removeTree(shadowDir);
  await removeTree(dir);
  let baseCommitId = await opts.prepare(snapshot.baseCommitId);
  if (opts.remote !== undefined && baseCommitId !== snapshot.baseCommitId) {
    // A preparer that cannot honour the base (a plain clone of the branch): move the fresh clone.
    await moveToCommit(dir, snapshot.baseCommitId, opts.remote);
    baseCommitId = snapshot.baseCommitId;
  }
  if (snapshot.patch !== '') {
    await openShadow(dir, shadowDir, baseCommitId);
    await shadowGit(dir, shadowDir)(
      ['apply', '--binary', '--whitespace=nowarn', '-'],
      undefined,
      snapshot.patch,
    );
  }
  return { baseCommitId, treeId: await workingTreeId(dir, shadowDir, baseCommitId) };
}

// A fresh clone's branch may have moved on since the session started: go back to the session's
// base. Runs git in the clone's own .git: only for a clone just made, which no agent touched yet.
async function moveToCommit(dir: string, commitId: string, remote: GitRemote): Promise<void> {
  const has = await runGit(['cat-file', '-e', `${commitId}^{commit}`], { cwd: dir }).then(
    () => true,
    () => false,
  );
  if (!has) {
    try {
      await runGit(['fetch', '--quiet', '--no-tags', '--', remote.url, commitId], {
        cwd: dir,
        env: remote.env,
        timeoutMs: 10 * 60_000,
      });
    } catch (e) {
      throw new Error(`the session's base commit ${commitId} is no longer in its source repository`, {
        cause: e,
      });
    }
  }
  await runGit(['reset', '--quiet', '--hard', commitId], { cwd: dir });
  await writeBaseMarker(dir, commitId);
}

/**
 * Makes the checkout's shadow git dir unless it exists. A shadow belongs to one incarnation of the
 * checkout (one removed and made again is a different directory, and gets a new shadow): its
 * identity is recorded beside the shadow's index.
 */
export async function openShadow(
  checkoutDir: string,
  shadowDir: string,
  baseCommitId: string,
): Promise<void> {
  const gitDir = await stat(join(checkoutDir, '.git'));
  const identity = `${gitDir.dev}:${gitDir.ino}:${gitDir.birthtimeMs}\n`;
  const recorded = await readFile(join(shadowDir, 'stint-checkout'), 'utf8').catch(() => undefined);
  if (recorded === identity) return;
  await removeTree(shadowDir);
  await mkdir(shadowDir, { recursive: true });
  const format = objectFormatOf(baseCommitId);
  await initShadowGitDir(shadowDir, await realpath(checkoutDir), format);
  await writeFile(join(shadowDir, 'info', 'attributes'), ATTRIBUTES);
  // Start from the base, so that files force-added there despite .gitignore stay in the tree.
  const git = shadowGit(checkoutDir, shadowDir);
  await git(['read-tree', baseCommitId]);
  await writeFile(join(shadowDir, 'stint-checkout'), identity);
}

function shadowGit(checkoutDir: string, shadowDir: string) {
  return async (args: string[], maxBuffer?: number, input?: string): Promise<string> => {
    const { stdout } = await shadowGitRun(shadowDir, checkoutDir, args, {
      ...(maxBuffer !== undefined ? { maxBuffer } : {}),
      ...(input !== undefined ? { input } : {}),
    });
    return stdout.toString('utf8');
  };
}
