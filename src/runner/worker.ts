/**
 * The worker: claims sessions from the queue up to its concurrency, drives each
 * one, heartbeats its leases, and always releases what it claimed.
 */
import { randomUUID } from 'node:crypto';
import type { WorkQueue } from '../queue/queue.ts';
import { LeaseLostError } from '../store/store.ts';
import { driveSession, failChange, SessionGone } from './drive-session.ts';
import type { RunnerDeps } from './runner-deps.ts';

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

  constructor(deps: RunnerDeps, queue: WorkQueue, opts: WorkerOptions) {
    this.#deps = deps;
    this.#queue = queue;
    this.#opts = { pollMs: 1000, ...opts };
  }

  get activeCount(): number {
    return this.#active.size;
  }

  async start(): Promise<void> {
    await this.#queue.recover();
    this.#unsubscribe = this.#deps.events.onStopped((id) => this.abortSession(id));
    this.#heartbeat = setInterval(
      () => void this.#beat(),
      Math.max(250, Math.floor(this.#queue.leaseMs / 3)),
    );
    this.#heartbeat.unref();
    this.#loop = this.#run();
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
    const abort = new AbortController();
    const done = this.#drive(id, abort.signal).finally(() => this.#active.delete(id));
    this.#active.set(id, { abort, done });
  }

  async #drive(id: string, signal: AbortSignal): Promise<void> {
    const log = this.#deps.log.child({ session: id });
    try {
      await driveSession(this.#deps, id, this.id, signal);
    } catch (e) {
      if (e instanceof SessionGone || e instanceof LeaseLostError) {
        log.info({ reason: (e as Error).message }, 'stopped driving session');
      } else if (signal.aborted) {
        log.info('session run interrupted');
      } else {
        log.error({ err: e }, 'session run failed');
        await this.#failSafely(id, e);
      }
    } finally {
      try {
        await this.#queue.release(id, this.id);
      } catch (e) {
        log.error({ err: e }, 'releasing lease failed');
      }
    }
  }

  async #failSafely(id: string, err: unknown): Promise<void> {
    try {
      const reason = `Internal error while running the session: ${(err as Error)?.message ?? String(err)}`;
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
