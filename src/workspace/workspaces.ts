// Per-session checkouts: made from the source's mirror (fetched first, one fetch shared by the
// sessions starting together), taken from the warm pool when one is ready, kept across restarts
// (the base marker says a checkout is complete) and removed when the session is over.
import { cp, mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { initEmpty, readBaseMarker, writeBaseMarker } from './checkout.ts';
import { runGit } from './git.ts';
import type { GitRemote } from './git-auth.ts';
import { materializeCheckout } from './materialize.ts';
import type { Mirror } from './mirror/mirror.ts';
import { MirrorCache, type MirrorIdentity } from './mirror/mirror-cache.ts';
import type { MirrorPins } from './mirror/pins.ts';
import { PUSHED_PIN_PREFIX } from './mirror/session-branch.ts';
import { CheckoutPool } from './pool/checkout-pool.ts';
import { isSafeRefName } from './refs.ts';
import { removeTree } from './remove-tree.ts';

export interface WorkspacesOptions {
  /** Session checkouts live in `<dir>/<sessionId>`; mirrors and the pool in dot-directories there. */
  dir: string;
  /** Ready checkouts per busy source/branch (0: no pool). */
  poolSize: number;
  poolIdleMs: number;
  maxPooledCheckouts: number;
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
}

export interface Prepared {
  baseCommitId: string;
  /** How the checkout came to be, for logs and benchmarks. */
  via: 'existing' | 'pool' | 'materialized' | 'empty';
}

const SESSION_DIR = /^[A-Za-z0-9_-]{1,64}$/;
export const PIN_PREFIX = 'base/';
const STALE_TEMP_MS = 3600_000;

export class Workspaces {
  readonly dir: string;
  readonly mirrors: MirrorCache;
  readonly pool: CheckoutPool;
  readonly #pins: MirrorPins | undefined;
  readonly #locks = new Map<string, Promise<void>>();
  #template: Promise<{ dir: string; commitId: string }> | undefined;

  constructor(opts: WorkspacesOptions) {
    this.dir = opts.dir;
    this.mirrors = new MirrorCache(join(opts.dir, '.mirrors'));
    this.#pins = opts.pins;
    this.pool = new CheckoutPool({
      root: join(opts.dir, '.pool'),
      size: opts.poolSize,
      idleMs: opts.poolIdleMs,
      maxCheckouts: opts.maxPooledCheckouts,
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

  /** The session's checkout, made unless a complete one is already there. */
  prepare(req: PrepareRequest): Promise<Prepared> {
    return this.#locked(req.sessionId, () => this.#prepare(req));
  }

  async #prepare(req: PrepareRequest): Promise<Prepared> {
    const dir = this.dirOf(req.sessionId);
    const existing = await readBaseMarker(dir);
    if (existing !== undefined) return { baseCommitId: existing, via: 'existing' };
    await removeTree(dir); // whatever an interrupted attempt left
    try {
      let prepared: Prepared;
      if (req.source) {
        prepared = await this.#fromSource(req.sessionId, dir, req.source);
      } else {
        prepared = { baseCommitId: await this.#copyEmpty(dir), via: 'empty' };
      }
      if (req.restorePatch) {
        // Still our own fresh checkout (no agent has run in it): safe to run git here.
        await runGit(['apply', '--binary', '--whitespace=nowarn', '-'], {
          cwd: dir,
          input: req.restorePatch,
        });
      }
      await writeBaseMarker(dir, prepared.baseCommitId);
      return prepared;
    } catch (e) {
      await removeTree(dir).catch(() => undefined);
      throw e;
    }
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
      await removeTree(dir);
      await removeTree(join(this.dir, '.snapshots', sessionId));
      return true;
    });
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
  async #copyEmpty(dir: string): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      const template = await this.#emptyTemplate();
      try {
        await cp(template.dir, dir, { recursive: true, verbatimSymlinks: true });
        return template.commitId;
      } catch (e) {
        // Removed under us (a cleanup of the temp dir): make it again, once.
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || attempt > 0) throw e;
        this.#template = undefined;
        await removeTree(dir);
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
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  async #fromSource(sessionId: string, dir: string, source: SourceCheckout): Promise<Prepared> {
    if (!isSafeRefName(source.branch)) {
      throw new Error(`refusing to check out the unsafe branch name ${JSON.stringify(source.branch)}`);
    }
    // Refreshing the pool waits until this session has taken its checkout (a refresh claims entries).
    const mirror = this.mirrors.get(source.identity);
    await mirror.fetch(source.remote);
    let commitId: string;
    if (source.baseCommitId !== undefined) {
      if (!(await mirror.hasCommit(source.baseCommitId))) {
        throw new Error(
          `the session's base commit ${source.baseCommitId} is no longer in its source repository`,
        );
      }
      commitId = source.baseCommitId;
    } else {
      const tip = await mirror.resolveBranch(source.branch);
      if (tip === undefined)
        throw new Error(`branch '${source.branch}' does not exist in the source repository`);
      commitId = tip;
    }
    // The session may come back to this commit later (follow-ups): keep it even if the branch moves.
    const pinned = this.#pins
      ? this.#pins.pin(mirror, sessionId, commitId)
      : mirror.pin(`${PIN_PREFIX}${sessionId}`, commitId);
    try {
      let via: Prepared['via'] = 'pool';
      if (!(await this.pool.take(mirror, source.branch, commitId, dir, source.remote.url))) {
        await materializeCheckout({
          dir,
          mirror,
          commitId,
          branch: source.branch,
          originUrl: source.remote.url,
        });
        via = 'materialized';
      }
      await pinned;
      return { baseCommitId: commitId, via };
    } finally {
      await pinned.catch(() => undefined);
      this.pool.refreshMirror(mirror);
    }
  }
}
