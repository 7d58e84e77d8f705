// Per-session checkouts: made from the source's mirror (fetched first, one fetch shared by the
// sessions starting together, none when the last one is younger than the fetch interval), taken
// from the warm pool when one is there, kept across restarts, and given back to the pool of their
// source when the session is over.
//
// Each checkout `<dir>/<sessionId>` has a server git dir `<dir>/.git-dirs/<sessionId>` outside it
// (src/workspace/server-git.ts): the server's git commands on the checkout go through it, and it
// records the session's base commit once the checkout is complete (never a file in the checkout,
// which the agent can rewrite).
import { cp, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { forgetFeed, startFeed } from './change-feed.ts';
import { initEmpty } from './checkout.ts';
import { armAgentIndex } from './fsmonitor/agent-hook.ts';
import { DEFAULT_GIT_TIMEOUT_MS, runGit } from './git.ts';
import type { GitRemote } from './git-auth.ts';
import { materializeCheckout } from './materialize.ts';
import type { Mirror } from './mirror/mirror.ts';
import { MirrorCache, type MirrorIdentity } from './mirror/mirror-cache.ts';
import type { MirrorPins } from './mirror/pins.ts';
import { PUSHED_PIN_PREFIX } from './mirror/session-branch.ts';
import type { BuildGate } from './pool/build-gate.ts';
import { CheckoutPool } from './pool/checkout-pool.ts';
import type { CpuIdle } from './pool/cpu-idle.ts';
import { stripUrlUserinfo } from './redact.ts';
import { isSafeRefName } from './refs.ts';
import { removeTree } from './remove-tree.ts';
import {
  AGENT_GIT_TMP,
  clearServerBase,
  readServerBase,
  serverGit,
  serverGitDirFor,
  writeServerBase,
} from './server-git.ts';
import { changeWatch } from './watch/change-watch.ts';

export interface WorkspacesOptions {
  /** Session checkouts live in `<dir>/<sessionId>`; mirrors and the pool in dot-directories there. */
  dir: string;
  /** Ready checkouts per busy source/branch (0: no pool). */
  poolSize: number;
  poolIdleMs: number;
  maxPooledCheckouts: number;
  /** Whole-repository checkouts written at once (default 2), or a gate shared with others. */
  buildSlots?: number | BuildGate;
  /** Where the pool reads how busy the CPU is (tests inject one). */
  cpu?: CpuIdle;
  /** How often a session waiting for a pooled checkout looks again unwoken (default 1 s; tests). */
  poolRecheckMs?: number;
  /** A session start skips the mirror fetch when the last one is younger than this (default 2 s). */
  fetchIntervalMs?: number;
  onBackgroundError?: (err: unknown) => void;
  /** Base commits pinned per commit and counted in the store (without: one ref per session). */
  pins?: MirrorPins;
}

export interface SourceCheckout {
  identity: MirrorIdentity;
  remote: GitRemote;
  branch: string;
  /** Check out this commit instead of the branch tip (a session resumed after its checkout went). */
  baseCommitId?: string;
}

export interface PrepareRequest {
  sessionId: string;
  /** Undefined: a repoless session (an empty repository). */
  source?: SourceCheckout;
  /** Applied after checking out (restores the session's changes after its checkout was removed). */
  restorePatch?: string;
  /** The base commit the store recorded for the session: an existing checkout on another is remade. */
  expectedBase?: string;
}

export interface Prepared {
  baseCommitId: string;
  /** How the checkout came to be, for logs and benchmarks. */
  via: 'existing' | 'pool' | 'materialized' | 'empty';
}

const SESSION_DIR = /^[A-Za-z0-9_-]{1,64}$/;
export const PIN_PREFIX = 'base/';
const STALE_TEMP_MS = 3600_000;
const SOURCE_FILE = 'stint-source';
const DEFAULT_FETCH_INTERVAL_MS = 2000;
const ARM_RUN = { timeoutMs: DEFAULT_GIT_TIMEOUT_MS, background: false };

/** What a checkout was made from, kept in its server git dir to give it back to the right pool. */
interface CheckoutOrigin {
  identity: MirrorIdentity;
  branch: string;
  originUrl: string;
}

export class Workspaces {
  readonly dir: string;
  readonly mirrors: MirrorCache;
  readonly pool: CheckoutPool;
  readonly #pins: MirrorPins | undefined;
  readonly #locks = new Map<string, Promise<void>>();
  readonly #fetchIntervalMs: number;
  #template: Promise<{ dir: string; commitId: string }> | undefined;

  constructor(opts: WorkspacesOptions) {
    this.dir = opts.dir;
    this.mirrors = new MirrorCache(join(opts.dir, '.mirrors'));
    this.#pins = opts.pins;
    this.#fetchIntervalMs = opts.fetchIntervalMs ?? DEFAULT_FETCH_INTERVAL_MS;
    this.pool = new CheckoutPool({
      root: join(opts.dir, '.pool'),
      size: opts.poolSize,
      idleMs: opts.poolIdleMs,
      maxCheckouts: opts.maxPooledCheckouts,
      ...(opts.buildSlots !== undefined ? { buildSlots: opts.buildSlots } : {}),
      ...(opts.cpu ? { cpu: opts.cpu } : {}),
      ...(opts.poolRecheckMs !== undefined ? { recheckMs: opts.poolRecheckMs } : {}),
      ...(opts.onBackgroundError ? { onError: opts.onBackgroundError } : {}),
    });
  }

  /** Scratch space of the server (temporary indexes), wiped at start. */
  get tempDir(): string {
    return join(this.dir, '.tmp');
  }

  dirOf(sessionId: string): string {
    if (!SESSION_DIR.test(sessionId)) throw new Error(`invalid session id ${JSON.stringify(sessionId)}`);
    return join(this.dir, sessionId);
  }

  /** The server git dir of a session's checkout (outside it: no agent can write there). */
  gitDirOf(sessionId: string): string {
    return serverGitDirFor(this.dirOf(sessionId));
  }

  /** The base commit of the session's complete checkout, or undefined when there is none. */
  async baseOf(sessionId: string): Promise<string | undefined> {
    const dir = this.dirOf(sessionId);
    const base = await readServerBase(this.gitDirOf(sessionId));
    if (base === undefined) return undefined;
    return (await stat(dir).catch(() => undefined))?.isDirectory() ? base : undefined;
  }

  /** The session's checkout, made unless a complete one is already there. */
  prepare(req: PrepareRequest): Promise<Prepared> {
    return this.#locked(req.sessionId, () => this.#prepare(req));
  }

  async #prepare(req: PrepareRequest): Promise<Prepared> {
    const dir = this.dirOf(req.sessionId);
    const gitDir = this.gitDirOf(req.sessionId);
    const existing = await this.baseOf(req.sessionId);
    const expected = req.expectedBase ?? req.source?.baseCommitId;
    if (existing !== undefined && (expected === undefined || existing === expected)) {
      // Kept from an earlier run: whatever wrote in it since (an operator, a process that died
      // mid-write), the next change set walks the tree. Nothing runs in it now.
      await forgetFeed(gitDir);
      return { baseCommitId: existing, via: 'existing' };
    }
    // Whatever an interrupted attempt left (or a checkout on another base than the store's).
    await removeTree(dir);
    await removeTree(gitDir);
    try {
      let prepared: Prepared;
      if (req.source) {
        prepared = await this.#fromSource(req.sessionId, dir, gitDir, req.source);
      } else {
        prepared = { baseCommitId: await this.#copyEmpty(dir, gitDir), via: 'empty' };
      }
      // The agent's index says every file is unchanged as of now (best effort: unarmed, git in the
      // sandbox looks at every file, as without the hook).
      if (!req.restorePatch && (prepared.via === 'pool' || prepared.via === 'materialized')) {
        await armAgentIndex(gitDir, dir, prepared.baseCommitId, ARM_RUN).catch(() => false);
      }
      if (req.restorePatch) {
        await serverGit(gitDir, dir, ['apply', '--binary', '--whitespace=nowarn', '-'], {
          input: req.restorePatch,
        });
      } else {
        // Exactly the base: change sets need look only at what the session's file tools write.
        await startFeed(gitDir, prepared.baseCommitId, 'at-base');
      }
      await writeServerBase(gitDir, prepared.baseCommitId);
      return prepared;
    } catch (e) {
      await removeTree(dir).catch(() => undefined);
      await removeTree(gitDir).catch(() => undefined);
      throw e;
    }
  }

  /**
   * A finished session's checkout goes back to the pool of its source and branch (reset before any
   * other session of that source gets it); removed when it cannot (no source, pool off or full).
   */
  release(sessionId: string): Promise<'pooled' | 'removed'> {
    const dir = this.dirOf(sessionId);
    const gitDir = this.gitDirOf(sessionId);
    return this.#locked(sessionId, async () => {
      await removeTree(join(this.dir, '.snapshots', sessionId));
      const origin = await readOrigin(gitDir);
      this.pool.settled(sessionId);
      if (origin && (await this.baseOf(sessionId)) !== undefined) {
        await clearServerBase(gitDir);
        const mirror = this.mirrors.get(origin.identity);
        const paths = { tree: dir, git: gitDir };
        if (await this.pool.give(mirror, origin.branch, paths, origin.originUrl)) return 'pooled';
      }
      await removeWatched(dir);
      await removeTree(gitDir);
      return 'removed';
    });
  }

  /** The source's mirror, fetched now (sharing a fetch already under way). */
  async fetchMirror(source: Pick<SourceCheckout, 'identity' | 'remote'>): Promise<Mirror> {
    const mirror = this.mirrors.get(source.identity);
    await mirror.fetch(source.remote);
    this.pool.refreshMirror(mirror);
    return mirror;
  }

  /** Removes a session's checkout (and the snapshot index kept beside it, if any). */
  remove(sessionId: string): Promise<void> {
    return this.removeIf(sessionId, async () => true).then(() => undefined);
  }

  /**
   * Removes a session's checkout if `decide` (asked while no prepare of that session runs) says so.
   * Returns whether it did.
   */
  removeIf(sessionId: string, decide: () => Promise<boolean>): Promise<boolean> {
    const dir = this.dirOf(sessionId);
    return this.#locked(sessionId, async () => {
      if (!(await decide())) return false;
      this.pool.settled(sessionId);
      await removeWatched(dir);
      await removeTree(this.gitDirOf(sessionId));
      await removeTree(join(this.dir, '.snapshots', sessionId));
      return true;
    });
  }

  /**
   * The session is over but its checkout stays (retention): sessions of its source starting now
   * must not wait for it to come back to the pool.
   */
  kept(sessionId: string): void {
    this.pool.settled(sessionId);
  }

  // One prepare or removal of a session's checkout at a time.
  async #locked<T>(sessionId: string, fn: () => Promise<T>): Promise<T> {
    const before = this.#locks.get(sessionId) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.#locks.set(sessionId, tail);
    try {
      return await run;
    } finally {
      if (this.#locks.get(sessionId) === tail) this.#locks.delete(sessionId);
    }
  }

  /** Ids of the sessions that have a checkout here. */
  async sessionIds(): Promise<string[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    return names.filter((n) => SESSION_DIR.test(n));
  }

  /**
   * Unpins the base commits no session needs any more, in every mirror: from the store's counts,
   * or (without a store) asking `exists` about each session's ref.
   */
  async prunePins(exists?: (sessionId: string) => Promise<boolean>): Promise<void> {
    if (this.#pins) {
      await this.#pins.sweep(await this.mirrors.all());
      return;
    }
    if (!exists) return;
    for (const mirror of await this.mirrors.all()) {
      for (const prefix of [PIN_PREFIX, PUSHED_PIN_PREFIX]) {
        const ids = await mirror.pins(prefix).catch(() => [] as string[]);
        for (const id of ids) if (!(await exists(id))) await mirror.unpin(`${prefix}${id}`);
      }
    }
  }

  // An empty repository made once per process and copied for each repoless session (no git runs).
  async #copyEmpty(dir: string, gitDir: string): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      const template = await this.#emptyTemplate();
      try {
        await cp(template.dir, dir, { recursive: true, verbatimSymlinks: true });
        await cp(join(template.dir, '.git'), gitDir, { recursive: true, verbatimSymlinks: true });
        return template.commitId;
      } catch (e) {
        // Removed under us (a cleanup of the temp dir): make it again, once.
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || attempt > 0) throw e;
        this.#template = undefined;
        await removeTree(dir);
        await removeTree(gitDir);
      }
    }
  }

  #emptyTemplate(): Promise<{ dir: string; commitId: string }> {
    this.#template ??= (async () => {
      const dir = join(this.tempDir, `empty-${process.pid}-${Date.now()}`);
      await removeTree(dir);
      await initEmpty(dir);
      const { stdout } = await runGit(['rev-parse', '--verify', 'HEAD^{commit}'], { cwd: dir });
      return { dir, commitId: stdout.trim() };
    })();
    this.#template.catch(() => {
      this.#template = undefined;
    });
    return this.#template;
  }

  /** Removes what a crash left half-made. */
  async start(): Promise<void> {
    await this.mirrors.removeLeftovers();
    await mkdir(this.tempDir, { recursive: true });
    // Left by a process that crashed (others sharing the data dir may be using recent ones).
    for (const name of await readdir(this.tempDir)) {
      const path = join(this.tempDir, name);
      const st = await stat(path).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > STALE_TEMP_MS) await removeTree(path);
    }
    // Server git dirs whose checkout is gone (a crash between the two removals).
    const gitDirs = join(this.dir, '.git-dirs');
    for (const name of await readdir(gitDirs).catch(() => [] as string[])) {
      // A checkout's .git half-made beside its server git dir (src/workspace/server-git.ts).
      const owner = name.endsWith(AGENT_GIT_TMP) ? name.slice(0, -AGENT_GIT_TMP.length) : name;
      if (!SESSION_DIR.test(owner) || (await stat(join(this.dir, owner)).catch(() => undefined))) continue;
      const st = await stat(join(gitDirs, name)).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > STALE_TEMP_MS) await removeTree(join(gitDirs, name));
    }
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  async #fromSource(
    sessionId: string,
    dir: string,
    gitDir: string,
    source: SourceCheckout,
  ): Promise<Prepared> {
    if (!isSafeRefName(source.branch)) {
      throw new Error(`refusing to check out the unsafe branch name ${JSON.stringify(source.branch)}`);
    }
    const mirror = this.mirrors.get(source.identity);
    // One fetch per burst: sessions starting right after a fetch use it, unless what they need is
    // not there (an explicit commit the mirror lacks, a branch it does not know).
    let fetched = false;
    const fetch = async () => {
      await mirror.fetch(source.remote);
      fetched = true;
    };
    if (mirror.lastFetchAt === 0 || Date.now() - mirror.lastFetchAt >= this.#fetchIntervalMs) await fetch();
    let commitId: string;
    if (source.baseCommitId !== undefined) {
      if (!fetched && !(await mirror.hasCommit(source.baseCommitId))) await fetch();
      if (!(await mirror.hasCommit(source.baseCommitId))) {
        throw new Error(
          `the session's base commit ${source.baseCommitId} is no longer in its source repository`,
        );
      }
      commitId = source.baseCommitId;
    } else {
      let tip = await mirror.resolveBranch(source.branch);
      if (tip === undefined && !fetched) {
        await fetch();
        tip = await mirror.resolveBranch(source.branch);
      }
      if (tip === undefined)
        throw new Error(`branch '${source.branch}' does not exist in the source repository`);
      commitId = tip;
    }
    // The session may come back to this commit later (follow-ups): keep it even if the branch moves.
    const pinned = this.#pins
      ? this.#pins.pin(mirror, sessionId, commitId)
      : mirror.pin(`${PIN_PREFIX}${sessionId}`, commitId);
    // Awaited below, after the checkout; it may fail before then (e.g. the session was deleted meanwhile,
    // a foreign key), and a rejection with no handler yet would be an unhandled one that ends the process.
    pinned.catch(() => undefined);
    try {
      const via = await this.pool.acquire({
        sessionId,
        mirror,
        branch: source.branch,
        commitId,
        dest: { tree: dir, git: gitDir },
        originUrl: source.remote.url,
        build: () =>
          materializeCheckout({
            dir,
            gitDir,
            mirror,
            commitId,
            branch: source.branch,
            originUrl: source.remote.url,
          }),
      });
      try {
        const origin: CheckoutOrigin = {
          identity: { ...source.identity, url: stripUrlUserinfo(source.identity.url) },
          branch: source.branch,
          originUrl: source.remote.url,
        };
        await writeFile(join(gitDir, SOURCE_FILE), JSON.stringify(origin));
        await pinned;
      } catch (e) {
        this.pool.settled(sessionId); // prepare() removes the checkout
        throw e;
      }
      return { baseCommitId: commitId, via };
    } finally {
      await pinned.catch(() => undefined);
      if (fetched) this.pool.refreshMirror(mirror);
    }
  }
}

async function readOrigin(gitDir: string): Promise<CheckoutOrigin | undefined> {
  const text = await readFile(join(gitDir, SOURCE_FILE), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const o = JSON.parse(text) as CheckoutOrigin;
    return typeof o.branch === 'string' && typeof o.identity?.tenantId === 'string' ? o : undefined;
  } catch {
    return undefined;
  }
}

// A checkout's watches go before its files: deleting every file of a watched tree would queue an
// event for each, as many as would cost every other checkout its change journal (watch/).
async function removeWatched(dir: string): Promise<void> {
  await changeWatch().forget(dir);
  await removeTree(dir);
}
