/**
 * Keeps a session's working tree resumable on any worker when several share the store: each
 * committed step carries a snapshot of the tree when it changed (same transaction as the step), and
 * a worker taking the session over rebuilds its local checkout from the last one unless the tree
 * it has is already exactly that. Single-node stores skip all of this (the checkout stays put).
 */
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Store, WorkspaceSnapshot } from '../store/store.ts';
import { dropFeed } from '../workspace/change-feed.ts';
import type { GitRemote } from '../workspace/git-auth.ts';
import { removeTree } from '../workspace/remove-tree.ts';
import { serverGitDirFor } from '../workspace/server-git.ts';
import {
  commitTreeId,
  indexSignature,
  openShadow,
  restoreSnapshot,
  snapshotPatch,
  stagedTreeId,
  stageWorkingTree,
  workingTreeId,
} from '../workspace/snapshot.ts';

export interface TrackOptions {
  store: Store;
  sessionId: string;
  workdir: string;
  workspacesDir: string;
  baseCommitId: string;
  /** The session's source (URL and credential env), to fetch a base commit a fresh checkout lacks. */
  remote?: GitRemote;
  /** Makes a fresh checkout (at `base` when given); returns its base commit. */
  prepare(base?: string): Promise<string>;
}

export class WorkspaceTracker {
  readonly #workdir: string;
  readonly #shadowDir: string;
  readonly #baseCommitId: string;
  /** Tree id as of the last committed step; undefined: the base tree (no snapshot yet). */
  #committedTree: string | undefined;
  /** The store's snapshot tree id (undefined: none yet). */
  #snapshotTree: string | undefined;
  /** Shadow index signature at which the staged tree was last known to be #committedTree. */
  #cleanIndex: string | undefined;
  /** Signature of the index staged for the snapshot being committed. */
  #pendingIndex: string | undefined;

  private constructor(
    workdir: string,
    shadowDir: string,
    state: {
      base: string;
      committed: string | undefined;
      snapshot: string | undefined;
      index: string | undefined;
    },
  ) {
    this.#workdir = workdir;
    this.#shadowDir = shadowDir;
    this.#baseCommitId = state.base;
    this.#committedTree = state.committed;
    this.#snapshotTree = state.snapshot;
    this.#cleanIndex = state.index;
  }

  /** Brings the local checkout to the session's last committed tree. */
  static async open(opts: TrackOptions): Promise<WorkspaceTracker> {
    sweepOrphans(opts.workspacesDir);
    const shadowDir = join(opts.workspacesDir, '.snapshots', opts.sessionId);
    const snap = await opts.store.getWorkspaceSnapshot(opts.sessionId);
    let base = opts.baseCommitId;
    await openShadow(opts.workdir, shadowDir, base);
    // This machine left the checkout exactly at the last committed step, and nobody went further.
    const clean = await takeCleanMark(shadowDir);
    if (
      clean &&
      clean.snapshot === (snap?.treeId ?? null) &&
      clean.index === (await indexSignature(shadowDir))
    ) {
      const state = { base, committed: snap?.treeId, snapshot: snap?.treeId, index: clean.index };
      return new WorkspaceTracker(opts.workdir, shadowDir, state);
    }
    const target = snap?.treeId ?? (await commitTreeId(opts.workdir, shadowDir, base));
    if ((await workingTreeId(opts.workdir, shadowDir, base)) !== target) {
      // This machine's tree is stale (another worker went further) or ahead of the last commit.
      if (snap) {
        const restored = await restoreSnapshot({
          dir: opts.workdir,
          shadowDir,
          snapshot: snap,
          prepare: opts.prepare,
          ...(opts.remote !== undefined ? { remote: opts.remote } : {}),
        });
        if (restored.treeId !== snap.treeId) {
          throw new Error('the rebuilt workspace does not match the snapshot of its last step');
        }
        base = restored.baseCommitId;
      } else {
        await removeTree(shadowDir);
        await removeTree(opts.workdir);
        base = await opts.prepare();
        await workingTreeId(opts.workdir, shadowDir, base);
      }
      // The tree was rebuilt here, not through the change feed's writers.
      await dropFeed(serverGitDirFor(opts.workdir));
    }
    // Signatures are taken after write-tree, which rewrites the index (its cached tree).
    const state = { base, committed: target, snapshot: snap?.treeId, index: await indexSignature(shadowDir) };
    return new WorkspaceTracker(opts.workdir, shadowDir, state);
  }

  get baseCommitId(): string {
    return this.#baseCommitId;
  }

  /** The snapshot to commit with the next step, if the tree changed since the last one. */
  async capture(): Promise<WorkspaceSnapshot | undefined> {
    this.#pendingIndex = undefined;
    const staged = await stageWorkingTree(this.#workdir, this.#shadowDir, this.#baseCommitId);
    if (staged === this.#cleanIndex) return undefined;
    const treeId = await stagedTreeId(this.#workdir, this.#shadowDir);
    if (treeId === this.#committedTree) {
      this.#cleanIndex = await indexSignature(this.#shadowDir);
      return undefined;
    }
    const patch = await snapshotPatch(this.#workdir, this.#shadowDir, this.#baseCommitId);
    this.#pendingIndex = await indexSignature(this.#shadowDir);
    return { baseCommitId: this.#baseCommitId, treeId, patch };
  }

  /** Records that a step carrying `snap` committed. */
  committed(snap: WorkspaceSnapshot | undefined): void {
    if (!snap) return;
    this.#committedTree = snap.treeId;
    this.#snapshotTree = snap.treeId;
    this.#cleanIndex = this.#pendingIndex;
  }

  /**
   * The drive ends with the checkout at its last committed step: say so, so that the next drive on
   * this machine skips comparing trees. `verify`: the agent may have run since the last capture.
   */
  async markClean(verify: boolean): Promise<void> {
    if (verify && (await this.capture()) !== undefined) return;
    if (this.#cleanIndex === undefined) return;
    const mark: CleanMark = { snapshot: this.#snapshotTree ?? null, index: this.#cleanIndex };
    await writeFile(join(this.#shadowDir, CLEAN_MARK), JSON.stringify(mark));
  }

  /** Removes this machine's shadow index (the session is over; its last snapshot stays in the store). */
  async dispose(): Promise<void> {
    await removeTree(this.#shadowDir);
  }
}

const CLEAN_MARK = 'stint-clean';

interface CleanMark {
  snapshot: string | null;
  index: string;
}

/** Reads and removes the clean mark: a drive that does not end cleanly leaves none behind. */
async function takeCleanMark(shadowDir: string): Promise<CleanMark | undefined> {
  const file = join(shadowDir, CLEAN_MARK);
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  await rm(file, { force: true });
  try {
    return JSON.parse(text) as CleanMark;
  } catch {
    return undefined;
  }
}

const SWEEP_EVERY_MS = 10 * 60_000;
const ORPHAN_AGE_MS = 60 * 60_000;
const lastSweep = new Map<string, number>();

/**
 * Now and then (in the background), removes the shadow indexes of checkouts that are gone (removed
 * by the workspace janitor, or the session moved on and finished on another machine).
 */
function sweepOrphans(workspacesDir: string): void {
  const now = Date.now();
  if (now - (lastSweep.get(workspacesDir) ?? 0) < SWEEP_EVERY_MS) return;
  lastSweep.set(workspacesDir, now);
  void (async () => {
    const root = join(workspacesDir, '.snapshots');
    for (const id of await readdir(root).catch(() => [] as string[])) {
      const checkout = await stat(join(workspacesDir, id)).catch(() => undefined);
      if (checkout) continue;
      const shadow = await stat(join(root, id)).catch(() => undefined);
      if (shadow && now - shadow.mtimeMs > ORPHAN_AGE_MS) await removeTree(join(root, id)).catch(() => {});
    }
  })().catch(() => {});
}
