/**
 * The single-node queue: leases live in the sessions table (claimed in one
 * UPDATE ... RETURNING), wake-ups come from in-process events.
 */
import type { SessionEvents } from '../../services/events.ts';
import { WakeSignal } from '../../services/wake-signal.ts';
import { type Backoff, DEFAULT_BACKOFF, type ReleaseOutcome, type Store } from '../../store/store.ts';
import type { WorkQueue } from '../queue.ts';

export class InProcessQueue implements WorkQueue {
  readonly kind = 'in-process';
  readonly leaseMs: number;
  readonly #store: Store;
  readonly #wakeups = new WakeSignal();
  readonly #unsubscribe: () => void;
  readonly #backoff: Backoff;

  constructor(store: Store, events: SessionEvents, leaseMs = 30_000, backoff: Backoff = DEFAULT_BACKOFF) {
    this.#store = store;
    this.leaseMs = leaseMs;
    this.#backoff = backoff;
    this.#unsubscribe = events.onWork(() => this.#wakeups.wake());
  }

  async recover(): Promise<void> {
    // One process owns an SQLite store: any lease left is from a crashed run of this server.
    await this.#store.releaseAllLeases();
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
    this.#wakeups.wake();
  }

  waitForWork(timeoutMs: number, signal: AbortSignal): Promise<void> {
    return this.#wakeups.wait(timeoutMs, signal);
  }

  async close(): Promise<void> {
    this.#unsubscribe();
    this.#wakeups.releaseAll();
  }
}
