/**
 * The many-worker queue: leases are claimed with `FOR UPDATE SKIP LOCKED` (in the store), renewed by
 * heartbeats and claimable again once expired, which a reaper checks every lease period. Idle
 * workers wake on a `stint_work` NOTIFY (sent by a trigger when a session starts wanting a worker,
 * whichever process committed it), on a LISTEN reconnect (a NOTIFY may have been missed), on a
 * local hint, or at their poll interval.
 */
import type { Logger } from 'pino';
import { backgroundFaults } from '../../services/background-faults.ts';
import type { SessionEvents } from '../../services/events.ts';
import type { Backoff, Store } from '../../store/store.ts';
import { LeaseQueue } from '../lease-queue.ts';
import type { PgListener } from './pg-listener.ts';

export const WORK_CHANNEL = 'stint_work';

export interface PostgresQueueOptions {
  leaseMs: number;
  log?: Pick<Logger, 'warn'>;
  /** Wait before a failed session's next attempt (default DEFAULT_BACKOFF). */
  backoff?: Backoff;
}

export class PostgresQueue extends LeaseQueue {
  readonly kind = 'postgres';
  readonly #log: Pick<Logger, 'warn'> | undefined;
  #reaper: NodeJS.Timeout | undefined;

  constructor(store: Store, listener: PgListener, events: SessionEvents, opts: PostgresQueueOptions) {
    super(store, {
      leaseMs: opts.leaseMs,
      backoff: opts.backoff,
      wakeSources: [
        (wake) => listener.on(WORK_CHANNEL, wake),
        (wake) => listener.onReconnect(wake),
        (wake) => events.onWork(wake),
      ],
    });
    this.#log = opts.log;
  }

  /**
   * Other workers share the store: only leases that have expired (their worker died or hung) are
   * dropped, now and every lease period, which also NOTIFYs idle workers of the freed sessions.
   */
  async recover(): Promise<void> {
    await this.store.releaseExpiredLeases();
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
      await this.store.releaseExpiredLeases();
    } catch (err) {
      backgroundFaults.record('lease_reaper');
      this.#log?.warn(
        { err },
        'releasing expired leases failed; sessions of dead workers wait for the next pass',
      );
    }
  }

  override async close(): Promise<void> {
    clearInterval(this.#reaper);
    await super.close();
  }
}
