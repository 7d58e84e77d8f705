/**
 * The worker: claims sessions from the queue up to its concurrency, drives each
 * one, heartbeats its leases, and always releases what it claimed.
 */
import { randomUUID } from 'node:crypto';
import type { WorkQueue } from '../queue/queue.ts';
import { LeaseLostError, type ReleaseOutcome } from '../store/store.ts';
import { isTransientStoreError } from '../store/transient.ts';
import { driveSession, failChange, gaveUp, SessionGone } from './drive-session.ts';
import type { RunnerDeps, RunnerHooks } from './runner-deps.ts';
import { WorkspaceJanitor } from './workspace-janitor.ts';

/** After a transient store error, the session is tried again after this long (not counted as an attempt). */
const STORE_RETRY_MS = 1000;

export interface WorkerOptions {
  concurrency: number;
  /** Fallback poll interval when no wake-up arrives. */
  pollMs?: number;
}

export class Worker {
  readonly id = `worker-${randomUUID()}`;
  readonly #deps: RunnerDeps;
  readonly #queue: WorkQueue;
  readonly #opts: Required<WorkerOptions>;
  readonly #active = new Map<string, { abort: AbortController; done: Promise<void> }>();
  readonly #stopping = new AbortController();
  #loop: Promise<void> | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;
  readonly #janitor: WorkspaceJanitor;

  /** Test hooks (see RunnerHooks); set them before the drive reaches them. */
  readonly hooks: RunnerHooks;

  constructor(deps: RunnerDeps, queue: WorkQueue, opts: WorkerOptions) {
    this.hooks = deps.hooks ?? {};
    this.#deps = { ...deps, hooks: this.hooks };
    this.#queue = queue;
    this.#opts = { pollMs: 1000, ...opts };
    this.#janitor = new WorkspaceJanitor(deps, { isDriving: (id) => this.isDriving(id) });
  }

  get activeCount(): number {
    return this.#active.size;
  }

  async start(): Promise<void> {
    await this.#queue.recover();
    await this.#janitor.start();
    this.#unsubscribe = this.#deps.events.onStopped((id) => this.abortSession(id));
    this.#heartbeat = setInterval(
      () => void this.#beat(),
      Math.max(250, Math.floor(this.#queue.leaseMs / 3)),
    );
    this.#heartbeat.unref();
    this.#loop = this.#run();
  }

  /** Whether this worker is driving the session now. */
  isDriving(sessionId: string): boolean {
    return this.#active.has(sessionId);
  }

  /** Stops the agent working on a session (delete, cancel, pause). */
  abortSession(sessionId: string): void {
    this.#active.get(sessionId)?.abort.abort(new Error('session stopped'));
  }

  /** Stops claiming, interrupts running agents at their next await, and releases every lease. */
  async stop(graceMs = 5000): Promise<void> {
    this.#stopping.abort();
    await this.#loop;
    for (const run of this.#active.values()) run.abort.abort(new Error('shutting down'));
    const all = Promise.allSettled([...this.#active.values()].map((r) => r.done));
    await Promise.race([all, new Promise((r) => setTimeout(r, graceMs).unref())]);
    clearInterval(this.#heartbeat);
    this.#unsubscribe?.();
    await this.#janitor.stop();
  }

  async #run(): Promise<void> {
    const signal = this.#stopping.signal;
    while (!signal.aborted) {
      let claimed = false;
      while (!signal.aborted && this.#active.size < this.#opts.concurrency) {
        let id: string | undefined;
        try {
          id = await this.#queue.claim(this.id);
        } catch (e) {
          this.#deps.log.error({ err: e }, 'claiming work failed');
        }
        if (!id) break;
        claimed = true;
        this.#startSession(id);
      }
      if (signal.aborted) break;
      if (!claimed || this.#active.size >= this.#opts.concurrency) {
        await this.#queue.waitForWork(this.#opts.pollMs, signal);
      }
    }
  }

  #startSession(id: string): void {
    // Claimed again while a previous drive of it is still winding down (it released just before this
    // claim, or its lease lapsed): drive after it, never two at once; aborting the new one aborts both.
    const prev = this.#active.get(id);
    const abort = new AbortController();
    if (prev)
      abort.signal.addEventListener('abort', () => prev.abort.abort(abort.signal.reason), { once: true });
    const entry = { abort, done: Promise.resolve() };
    entry.done = (prev?.done ?? Promise.resolve())
      .then(() => (abort.signal.aborted ? this.#releaseQuietly(id) : this.#drive(id, abort.signal)))
      .finally(() => {
        if (this.#active.get(id) === entry) this.#active.delete(id);
      });
    this.#active.set(id, entry);
  }

  async #drive(id: string, signal: AbortSignal): Promise<void> {
    const log = this.#deps.log.child({ session: id });
    let outcome: ReleaseOutcome = { kind: 'done' };
    try {
      await driveSession(this.#deps, id, this.id, signal);
    } catch (e) {
      if (e instanceof SessionGone || e instanceof LeaseLostError) {
        log.info({ reason: (e as Error).message }, 'stopped driving session');
      } else if (signal.aborted) {
        log.info('session run interrupted');
        outcome = { kind: 'interrupted' };
      } else if (isTransientStoreError(e)) {
        // Not the session's fault: it resumes from its last committed step once the store is back.
        log.warn({ err: e }, 'store unavailable; the session will be resumed');
        outcome = { kind: 'interrupted', retryAfterMs: STORE_RETRY_MS };
      } else {
        log.error({ err: e }, 'session run failed');
        outcome = await this.#attemptFailed(id, e);
      }
    } finally {
      try {
        await this.#queue.release(id, this.id, outcome);
      } catch (e) {
        log.error({ err: e }, 'releasing lease failed');
      }
    }
  }

  /** A failed attempt: retried later (backoff), or, past the limit, the session FAILS with this error. */
  async #attemptFailed(id: string, err: unknown): Promise<ReleaseOutcome> {
    const error = `Internal error while running the session: ${(err as Error)?.message ?? String(err)}`;
    try {
      const attempts = (await this.#deps.store.getSession(id))?.work.attempts ?? 0;
      if (attempts < this.#deps.config.maxAttempts) return { kind: 'failed', error };
      await this.#failSafely(id, gaveUp(error, attempts));
      return { kind: 'done' };
    } catch (e) {
      this.#deps.log.error({ err: e, session: id }, 'could not record the failure');
      return { kind: 'failed', error };
    }
  }

  async #releaseQuietly(id: string): Promise<void> {
    try {
      await this.#queue.release(id, this.id);
    } catch (e) {
      this.#deps.log.error({ err: e, session: id }, 'releasing lease failed');
    }
  }

  async #failSafely(id: string, reason: string): Promise<void> {
    try {
      const res = await this.#deps.store.mutateSession(id, (r) => ({ change: failChange(r, reason) }), {
        leaseOwner: this.id,
      });
      if (res) this.#deps.events.emitChanged({ session: res.record.session, activities: res.activities });
    } catch (e) {
      this.#deps.log.error({ err: e, session: id }, 'could not record the failure');
    }
  }

  async #beat(): Promise<void> {
    for (const [id, run] of this.#active) {
      try {
        if (!(await this.#queue.heartbeat(id, this.id))) run.abort.abort(new LeaseLostError(id));
      } catch (e) {
        this.#deps.log.warn({ err: e, session: id }, 'heartbeat failed');
      }
    }
  }
}
