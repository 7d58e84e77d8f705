/**
 * The many-worker queue: leases live in the sessions table (claimed in one
 * UPDATE ... WHERE id = (SELECT ... FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING statement),
 * renewed by heartbeats and claimable again once expired. Idle workers sleep until a
 * `stint_work` NOTIFY (sent by a trigger when a session starts wanting a worker, whichever
 * process committed it), a local hint, or their poll interval.
 */
import type { Logger } from 'pino';
import { backgroundFaults } from '../../services/background-faults.ts';
import type { SessionEvents } from '../../services/events.ts';
import { WakeSignal } from '../../services/wake-signal.ts';
import { type Backoff, DEFAULT_BACKOFF, type ReleaseOutcome, type Store } from '../../store/store.ts';
import type { WorkQueue } from '../queue.ts';
import type { PgListener } from './pg-listener.ts';

export const WORK_CHANNEL = 'stint_work';

export interface PostgresQueueOptions {
  leaseMs: number;
  log?: Pick<Logger, 'warn'>;
  /** Wait before a failed session's next attempt (default DEFAULT_BACKOFF). */
  backoff?: Backoff;
}

export class PostgresQueue implements WorkQueue {
  readonly kind = 'postgres';
  readonly leaseMs: number;
  readonly #store: Store;
  readonly #log: Pick<Logger, 'warn'> | undefined;
  readonly #wakeups = new WakeSignal();
  readonly #unsubscribe: (() => void)[];
  readonly #backoff: Backoff;
  #reaper: NodeJS.Timeout | undefined;

  constructor(store: Store, listener: PgListener, events: SessionEvents, opts: PostgresQueueOptions) {
    this.#store = store;
    this.leaseMs = opts.leaseMs;
    this.#log = opts.log;
    this.#backoff = opts.backoff ?? DEFAULT_BACKOFF;
    const wake = () => this.#wakeups.wake();
    this.#unsubscribe = [listener.on(WORK_CHANNEL, wake), listener.onReconnect(wake), events.onWork(wake)];
  }

  /**
   * Other workers share the store: only leases that have expired (their worker died or hung) are
   * dropped, now and every lease period, which also NOTIFYs idle workers of the freed sessions.
   */
  async recover(): Promise<void> {
    await this.#store.releaseExpiredLeases();
    if (this.#reaper) return;
    this.#reaper = setInterval(() => void this.reap(), this.leaseMs);
    this.#reaper.unref();
  }

  /**
   * One pass of the reaper. A failure is logged and counted (a store that cannot release expired
   * leases leaves the sessions of dead workers stuck until it can); the next pass tries again.
   */
  async reap(): Promise<void> {
    try {
      await this.#store.releaseExpiredLeases();
    } catch (err) {
      backgroundFaults.record('lease_reaper');
      this.#log?.warn(
        { err },
        'releasing expired leases failed; sessions of dead workers wait for the next pass',
      );
    }
  }

  claim(owner: string): Promise<string | undefined> {
    this.#wakeups.clear();
    return this.#store.claimSession(owner, this.leaseMs, this.#backoff);
  }

  heartbeat(sessionId: string, owner: string): Promise<boolean> {
    return this.#store.renewLease(sessionId, owner, this.leaseMs);
  }

  async release(sessionId: string, owner: string, outcome?: ReleaseOutcome): Promise<void> {
    await this.#store.releaseLease(sessionId, owner, outcome, this.#backoff);
    // A slot is free here too; other processes hear of the session through the trigger if it still wants work.
    this.#wakeups.wake();
  }

  waitForWork(timeoutMs: number, signal: AbortSignal): Promise<void> {
    return this.#wakeups.wait(timeoutMs, signal);
  }

  async close(): Promise<void> {
    clearInterval(this.#reaper);
    for (const u of this.#unsubscribe) u();
    this.#wakeups.releaseAll();
  }
}
