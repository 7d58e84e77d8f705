// The warm pool: ready checkouts per busy source/branch, so a session starts by renaming one into
// place instead of writing every file of the repository. Finished sessions give their checkouts
// back (same tenant and source: a pool belongs to one mirror); a checkout given back is reset to the
// commit the next session needs, which rewrites only what differs (src/workspace/materialize.ts).
//
// A pool entry is a directory holding the checkout (`tree`) and its server git dir (`git`), named
// by the server with its state (src/workspace/pool/entries.ts): clean at a commit once a reset to
// it completed, dirty for a checkout an agent used. A session that finds no entry while one is
// being reset in the background waits for that reset (it costs what differs) rather than writing a
// new checkout (which costs the whole repository); new checkouts are written only a few at a time
// (build slots), a session without a slot takes the first checkout of its source that comes back
// instead, and background refills build at a low CPU priority with a slot nobody waits for. Every
// operation on an entry first claims it with an atomic rename out of the pool directory, so a
// session can never receive a checkout that is being reset or moved, and a crash mid-reset leaves a
// `.tmp-*` directory that no session takes and the sweep removes (this holds across processes
// sharing the data dir too).
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { materializeCheckout } from '../materialize.ts';
import type { Mirror } from '../mirror/mirror.ts';
import { removeTree } from '../remove-tree.ts';
import { mkdir, rename, stat, utimes, writeFile } from '../small-fs.ts';
import { BuildGate } from './build-gate.ts';
import { BuildPolicy, movingAverage } from './build-policy.ts';
import type { CpuIdle } from './cpu-idle.ts';
import { branchDirName, claim, entryName, isCleanAt, listEntries, pathsOf, USED_STAMP } from './entries.ts';
import { SerialJobs } from './serial-jobs.ts';

export interface PoolOptions {
  /** Directory of the pool; must be on the same filesystem as the session checkouts. */
  root: string;
  /** Ready checkouts kept per busy source/branch; 0 turns the pool off. */
  size: number;
  /** A source/branch not used for this long has its checkouts removed. */
  idleMs: number;
  /** Upper bound on pooled checkouts across all sources. */
  maxCheckouts: number;
  /** Background work starts this long after the session start that asked for it (default 250 ms). */
  refillDelayMs?: number;
  /** Whole-repository checkouts written at once (default 2), or a gate shared with others. */
  buildSlots?: number | BuildGate;
  /** Where the build policy reads how busy the CPU is (tests inject one). */
  cpu?: CpuIdle;
  /** How often a session waiting for a checkout looks again without being woken (default 1 s). */
  recheckMs?: number;
  /** Called when background work fails (it is retried on the next use). */
  onError?: (err: unknown) => void;
}

interface PoolEntry {
  mirror: Mirror;
  branch: string;
  originUrl?: string;
  dir: string;
  lastUsed: number;
  /** Background resets of entries of this pool under way (each puts its entry back when done). */
  resetting: Set<Promise<unknown>>;
  /** Sessions waiting for an entry to be put in this pool. */
  arrivals: Set<() => void>;
  /** When an entry last came into this pool (performance.now()). */
  lastArrival?: number;
  /** Sessions of this pool that found no checkout ready and wait for one (or build one). */
  waiting: number;
  /** New checkouts of this pool being written in the background (each comes into the pool). */
  building: number;
  /** How long a session of this pool keeps its checkout, reset included (moving average, ms). */
  holdMs?: number;
}

/** Where a checkout lives: its files and its server git dir. */
export interface CheckoutPaths {
  tree: string;
  git: string;
}

const LEFTOVER_AGE_MS = 30 * 60_000;
// A session waiting for a checkout to come back looks again (CPU still busy?) this often.
const DEFAULT_RECHECK_MS = 1000;

export class CheckoutPool {
  readonly #opts: PoolOptions;
  readonly #pools = new Map<string, PoolEntry>();
  readonly #jobs: SerialJobs;
  readonly #policy: BuildPolicy;
  /** Sessions that found no checkout ready and wait for one or build one. */
  #short = 0;
  /** Sessions holding a checkout this process lent them (or being built for them), by pool. */
  readonly #lent = new Map<string, { pool: PoolEntry; since?: number }>();

  constructor(opts: PoolOptions) {
    this.#opts = opts;
    const slots = opts.buildSlots ?? 2;
    this.#policy = new BuildPolicy(typeof slots === 'number' ? new BuildGate(slots) : slots, opts.cpu);
    this.#jobs = new SerialJobs(opts.refillDelayMs ?? 250);
  }

  get #recheckMs(): number {
    return this.#opts.recheckMs ?? DEFAULT_RECHECK_MS;
  }

  get enabled(): boolean {
    return this.#opts.size > 0;
  }

  /**
   * Gives the session a checkout of `branch` at `commitId` at `dest` (neither path may exist): a
   * pooled one, reset first unless it is clean at that commit, or else a new one written by `build`.
   * With none ready, it waits for a reset under way (what differs), then, while the CPU is busy,
   * for a checkout of this source to come back (src/workspace/pool/build-policy.ts), and otherwise
   * for a build slot or a checkout coming back, whichever is first (build-gate.ts). The pool is
   * refilled in the background either way.
   */
  async acquire(req: {
    /** The session the checkout is for (out with it until settled()). */
    sessionId: string;
    mirror: Mirror;
    branch: string;
    commitId: string;
    dest: CheckoutPaths;
    originUrl?: string;
    build: () => Promise<void>;
  }): Promise<'pool' | 'materialized'> {
    if (!this.enabled) {
      const release = await this.#policy.gate.request().granted;
      try {
        await this.#policy.timed(req.build);
      } finally {
        release();
      }
      return 'materialized';
    }
    const pool = this.#pool(req.mirror, req.branch, req.originUrl);
    pool.lastUsed = Date.now();
    await this.#stampUse(pool);
    const since = performance.now();
    const waited = () => performance.now() - since;
    let short = false; // found nothing ready: waits or builds (a burst; refills stay out)
    // This session's new checkout, written into the pool: it takes whichever comes first, that
    // checkout or one given back (the other stays pooled, for the next session).
    let own: OwnBuild | undefined;
    let ownBuild: Promise<void> | undefined;
    try {
      for (;;) {
        const tTake = performance.now();
        const prefer = own?.name;
        const taken = await this.#takeOne(pool, req.commitId, req.dest, prefer);
        if (taken !== undefined && taken !== false) {
          this.#lent.set(req.sessionId, { pool, since: tTake });
          return taken === prefer ? 'materialized' : 'pool';
        }
        if (taken === undefined && pool.resetting.size > 0) {
          await Promise.race([...pool.resetting]);
          continue;
        }
        if (!short) {
          short = true;
          this.#short++;
          pool.waiting++;
        }
        // Failed (a commit it cannot have, a full disk): the session fails with it, as it would
        // have building for itself. Built and taken by another session: it may build again.
        if (own?.error !== undefined) throw own.error;
        if (own?.done) own = undefined;
        if (own && ownBuild) {
          await Promise.race([ownBuild, this.#arrivalOr(pool, this.#recheckMs)]);
          continue;
        }
        if (this.#keepWaiting(pool, waited())) {
          await this.#arrivalOr(pool, Math.min(this.#recheckMs, this.#policy.maxWaitMs - waited()));
          continue;
        }
        const slot = this.#policy.gate.request();
        const back = this.#nextArrival(pool);
        const release = await Promise.race([slot.granted, back.arrived.then(() => undefined)]);
        back.cancel();
        if (release === undefined) {
          slot.cancel();
          continue;
        }
        // Granted after a wait: the machine may have become busy meanwhile.
        if (this.#keepWaiting(pool, waited())) {
          release();
          continue;
        }
        const mine: OwnBuild = { done: false, name: undefined, error: undefined };
        own = mine;
        ownBuild = this.#policy
          .timed(async () => {
            await this.#rebuild(pool, req.commitId, false, undefined, (name) => {
              mine.name = name;
            });
          })
          .catch((e) => {
            mine.error = e;
          })
          .finally(() => {
            mine.done = true;
            release();
          });
      }
    } finally {
      if (short) {
        this.#short--;
        pool.waiting--;
      }
      this.maintain(req.mirror, req.branch, req.originUrl);
    }
  }

  /**
   * The checkout acquire() lent the session is no longer out with a running session (given back,
   * removed, or kept for retention): no session should wait for it.
   */
  settled(sessionId: string): void {
    const lent = this.#lent.get(sessionId);
    this.#lent.delete(sessionId);
    if (lent?.since === undefined) return;
    const ms = performance.now() - lent.since;
    lent.pool.holdMs = movingAverage(lent.pool.holdMs, ms);
  }

  // Checkouts of `pool` that will come into it: held by running sessions, or being built (for a
  // session, or in the background).
  #out(pool: PoolEntry): number {
    let n = pool.building;
    for (const lent of this.#lent.values()) if (lent.pool === pool) n++;
    return n;
  }

  // Whether a session of `pool` that has waited `waitedMs` for a checkout should wait on.
  #keepWaiting(pool: PoolEntry, waitedMs: number): boolean {
    const out = this.#out(pool);
    // The checkouts out serve the sessions waiting one after the other: this long until the last
    // of them has one, were nothing built.
    const backlogMs = pool.holdMs === undefined || out === 0 ? undefined : (pool.waiting * pool.holdMs) / out;
    return this.#policy.keepWaiting(waitedMs, out, sinceArrival(pool, waitedMs), backlogMs);
  }

  // Waits until an entry is put in `pool` or `ms` passed.
  async #arrivalOr(pool: PoolEntry, ms: number): Promise<void> {
    const back = this.#nextArrival(pool);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.max(1, ms));
    });
    try {
      await Promise.race([back.arrived, timeout]);
    } finally {
      clearTimeout(timer);
      back.cancel();
    }
  }

  // Resolves when an entry is next put in `pool` (given back or built).
  #nextArrival(pool: PoolEntry): { arrived: Promise<void>; cancel(): void } {
    let wake: () => void = () => undefined;
    const arrived = new Promise<void>((resolve) => {
      wake = resolve;
    });
    pool.arrivals.add(wake);
    return { arrived, cancel: () => pool.arrivals.delete(wake) };
  }

  // An entry was put in `pool`: wakes the session that has waited longest, only it (every waiter
  // woken for one entry would each list the pool and race to claim it: a burst's sessions did ~70
  // fs calls each that way). A waiter that takes something else wakes the next (#takeOne).
  #arrived(pool: PoolEntry): void {
    pool.lastArrival = performance.now();
    this.#wakeOne(pool);
  }

  #wakeOne(pool: PoolEntry): void {
    const first = pool.arrivals.values().next();
    if (first.done) return;
    pool.arrivals.delete(first.value);
    first.value();
  }

  // Claims an entry (`prefer` first) and moves it to `dest` at `commitId`: its name, false when
  // the one claimed was damaged, undefined when there was none to claim.
  async #takeOne(
    pool: PoolEntry,
    commitId: string,
    dest: CheckoutPaths,
    prefer?: string,
  ): Promise<string | false | undefined> {
    // Entries already clean at the commit first: those cost a rename, the others a reset.
    const names = await listEntries(pool.dir);
    const ordered = [
      ...names.filter((n) => isCleanAt(n, commitId)),
      ...names.filter((n) => !isCleanAt(n, commitId)),
    ];
    if (prefer !== undefined && ordered.includes(prefer)) ordered.unshift(prefer);
    for (const name of ordered) {
      const tmp = this.#tmpPath();
      if (!(await claim(join(pool.dir, name), tmp))) continue;
      try {
        // Its name was its state when claimed, and only a claim changes either.
        if (!isCleanAt(name, commitId)) {
          await materializeCheckout({
            reused: true,
            ...pathsOf(tmp),
            mirror: pool.mirror,
            branch: pool.branch,
            commitId,
            ...(pool.originUrl !== undefined ? { originUrl: pool.originUrl } : {}),
          });
        }
        // The first checkout of a workspace dir may come from the pool: its parents may not exist.
        await mkdir(dirname(dest.git), { recursive: true });
        await mkdir(dirname(dest.tree), { recursive: true });
        await rename(join(tmp, 'git'), dest.git);
        await rename(join(tmp, 'tree'), dest.tree);
        await removeTree(tmp);
        // Others were there too (this one may have been preferred over the one that woke it).
        if (ordered.length > 1) this.#wakeOne(pool);
        return name;
      } catch (e) {
        // A damaged pooled checkout: drop it and let the caller build one.
        this.#opts.onError?.(e);
        await removeTree(tmp);
        await removeTree(dest.tree);
        await removeTree(dest.git);
        return false;
      }
    }
    return undefined;
  }

  /**
   * Takes a finished session's checkout (`from`, which then no longer exists) into the pool of its
   * source and branch; it is reset before any other session gets it. Returns false (leaving `from`
   * alone) when the pool is off or full.
   */
  async give(mirror: Mirror, branch: string, from: CheckoutPaths, originUrl?: string): Promise<boolean> {
    if (!this.enabled || (await this.#total()) >= this.#opts.maxCheckouts) return false;
    const pool = this.#pool(mirror, branch, originUrl);
    const tmp = this.#tmpPath();
    await mkdir(tmp, { recursive: true });
    try {
      await rename(from.git, join(tmp, 'git'));
      await rename(from.tree, join(tmp, 'tree'));
      await mkdir(pool.dir, { recursive: true });
      await rename(tmp, join(pool.dir, entryName('dirty')));
    } catch (e) {
      await removeTree(tmp);
      throw e;
    }
    this.#arrived(pool);
    this.maintain(mirror, branch, originUrl);
    return true;
  }

  /** Brings the pool of `branch` to its size at the branch's current tip, in the background. */
  maintain(mirror: Mirror, branch: string, originUrl?: string): void {
    if (!this.enabled) return;
    const pool = this.#pool(mirror, branch, originUrl);
    this.#jobs.schedule(pool.dir, () => this.#maintain(pool));
  }

  /** Refreshes every pool of a mirror after it fetched (tips may have moved). */
  refreshMirror(mirror: Mirror): void {
    for (const pool of this.#pools.values()) {
      if (pool.mirror === mirror) this.#jobs.schedule(pool.dir, () => this.#maintain(pool));
    }
  }

  /** Empties pools unused for idleMs (also those left by an earlier run), and removes leftovers. */
  async sweep(now = Date.now()): Promise<void> {
    for (const mirrorName of await listEntries(this.#opts.root)) {
      if (mirrorName.startsWith('.tmp-')) {
        // Half-built by a run that crashed (or, if recent, being built right now).
        const path = join(this.#opts.root, mirrorName);
        const st = await stat(path).catch(() => undefined);
        if (st && now - st.mtimeMs > LEFTOVER_AGE_MS) await removeTree(path);
        continue;
      }
      for (const branchName of await listEntries(join(this.#opts.root, mirrorName))) {
        const dir = join(this.#opts.root, mirrorName, branchName);
        const known = [...this.#pools.values()].find((p) => p.dir === dir);
        const lastUsed =
          known?.lastUsed ?? (await stat(join(dir, USED_STAMP)).catch(() => undefined))?.mtimeMs ?? 0;
        if (now - lastUsed < this.#opts.idleMs) continue;
        if (known) this.#pools.delete(known.dir);
        await this.#jobs.run(() => removeTree(dir));
      }
    }
  }

  /** Waits for background work to finish. */
  close(): Promise<void> {
    return this.#jobs.close();
  }

  #pool(mirror: Mirror, branch: string, originUrl: string | undefined): PoolEntry {
    const dir = join(this.#opts.root, basename(mirror.dir, '.git'), branchDirName(branch));
    let pool = this.#pools.get(dir);
    if (!pool) {
      pool = {
        mirror,
        branch,
        dir,
        lastUsed: Date.now(),
        resetting: new Set(),
        arrivals: new Set(),
        waiting: 0,
        building: 0,
      };
      this.#pools.set(dir, pool);
    }
    if (originUrl !== undefined) pool.originUrl = originUrl;
    return pool;
  }

  async #maintain(pool: PoolEntry): Promise<void> {
    if (!this.#pools.has(pool.dir)) return;
    try {
      const tip = await pool.mirror.resolveBranch(pool.branch);
      if (!tip) return;
      await mkdir(pool.dir, { recursive: true });
      const entries = await listEntries(pool.dir);
      for (const name of entries) {
        const path = join(pool.dir, name);
        if (isCleanAt(name, tip)) continue;
        // A used checkout (or one at an older tip): costs what differs, so at normal priority,
        // and a session finding the pool empty meanwhile waits for it.
        const reset = this.#rebuild(pool, tip, false, path);
        pool.resetting.add(reset);
        try {
          await reset;
        } finally {
          pool.resetting.delete(reset);
        }
      }
      // New checkouts: the whole repository, at a low priority, and not while sessions found none
      // ready (a burst: they build or wait for checkouts coming back, and the CPU is theirs).
      let missing = this.#opts.size - (await listEntries(pool.dir)).length;
      while (missing-- > 0 && (await this.#total()) < this.#opts.maxCheckouts) {
        if (this.#short > 0) break;
        const release = this.#policy.gate.tryAcquire();
        if (!release) break;
        try {
          await this.#rebuild(pool, tip, true);
        } finally {
          release();
        }
      }
    } catch (e) {
      this.#opts.onError?.(e);
    }
  }

  // Claims `existing` (or starts from nothing), brings it to `tip`, and puts it (back) in the pool
  // under the name returned (undefined: `existing` was claimed by someone else first).
  async #rebuild(
    pool: PoolEntry,
    tip: string,
    background: boolean,
    existing?: string,
    named?: (name: string) => void,
  ): Promise<string | undefined> {
    const tmp = this.#tmpPath();
    if (!existing) pool.building++;
    try {
      if (existing) {
        if (!(await claim(existing, tmp))) return;
      }
      await materializeCheckout({
        reused: true,
        ...pathsOf(tmp),
        mirror: pool.mirror,
        commitId: tip,
        branch: pool.branch,
        background,
        ...(pool.originUrl !== undefined ? { originUrl: pool.originUrl } : {}),
      });
      const name = entryName({ cleanAt: tip });
      await mkdir(pool.dir, { recursive: true });
      await rename(tmp, join(pool.dir, name));
      named?.(name);
      this.#arrived(pool);
      return name;
    } catch (e) {
      await removeTree(tmp);
      throw e;
    } finally {
      if (!existing) pool.building--;
    }
  }

  #tmpPath(): string {
    return join(this.#opts.root, `.tmp-${randomBytes(6).toString('hex')}`);
  }

  async #total(): Promise<number> {
    let n = 0;
    for (const pool of this.#pools.values()) n += (await listEntries(pool.dir)).length;
    return n;
  }

  async #stampUse(pool: PoolEntry): Promise<void> {
    const stamp = join(pool.dir, USED_STAMP);
    const now = new Date();
    await utimes(stamp, now, now).catch(async () => {
      await mkdir(pool.dir, { recursive: true });
      await writeFile(stamp, '');
    });
  }
}

// A session's own build into the pool: the entry's name once it is there, or why it failed.
interface OwnBuild {
  done: boolean;
  name: string | undefined;
  error: unknown;
}

// How long since a checkout last came into the pool (at most how long this session has waited).
function sinceArrival(pool: PoolEntry, waited: number): number {
  return pool.lastArrival === undefined ? waited : Math.min(waited, performance.now() - pool.lastArrival);
}
