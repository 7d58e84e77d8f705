/**
 * The single-node queue: one process owns the store, so recovery drops every lease at start-up and
 * wake-ups come from in-process events only.
 */
import type { SessionEvents } from '../../services/events.ts';
import type { Backoff, Store } from '../../store/store.ts';
import { LeaseQueue } from '../lease-queue.ts';

export class InProcessQueue extends LeaseQueue {
  readonly kind = 'in-process';

  constructor(store: Store, events: SessionEvents, leaseMs = 30_000, backoff?: Backoff) {
    super(store, { leaseMs, backoff, wakeSources: [(wake) => events.onWork(wake)] });
  }

  async recover(): Promise<void> {
    // One process owns an SQLite store: any lease left is from a crashed run of this server.
    await this.store.releaseAllLeases();
  }
}
