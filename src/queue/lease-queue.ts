/**
 * What every queue does the same way: leases live in the sessions table (the store claims, renews
 * and releases them in one statement each, per dialect), and idle workers sleep on a WakeSignal
 * until a hint or their poll interval. Implementations differ only in how leases of dead workers
 * are recovered and where the hints come from.
 */
import { WakeSignal } from '../services/wake-signal.ts';
import { type Backoff, DEFAULT_BACKOFF, type ReleaseOutcome, type Store } from '../store/store.ts';
import type { WorkQueue } from './queue.ts';

/** Subscribes `wake` to one source of hints; returns its unsubscribe. */
export type WakeSource = (wake: () => void) => () => void;

export interface LeaseQueueOptions {
  leaseMs: number;
  /** Wait before a failed session's next attempt (default DEFAULT_BACKOFF). */
  backoff?: Backoff | undefined;
  wakeSources: readonly WakeSource[];
}

export abstract class LeaseQueue implements WorkQueue {
  abstract readonly kind: string;
  readonly leaseMs: number;
  protected readonly store: Store;
  readonly #backoff: Backoff;
  readonly #wakeups = new WakeSignal();
  readonly #unsubscribe: (() => void)[];

  constructor(store: Store, opts: LeaseQueueOptions) {
    this.store = store;
    this.leaseMs = opts.leaseMs;
    this.#backoff = opts.backoff ?? DEFAULT_BACKOFF;
    this.#unsubscribe = opts.wakeSources.map((subscribe) => subscribe(() => this.#wakeups.wake()));
  }

  abstract recover(): Promise<void>;

  claim(owner: string): Promise<string | undefined> {
    this.#wakeups.clear();
    return this.store.claimSession(owner, this.leaseMs, this.#backoff);
  }

  heartbeat(sessionId: string, owner: string): Promise<boolean> {
    return this.store.renewLease(sessionId, owner, this.leaseMs);
  }

  async release(sessionId: string, owner: string, outcome?: ReleaseOutcome): Promise<void> {
    await this.store.releaseLease(sessionId, owner, outcome, this.#backoff);
    // A slot is free here; other processes hear of the session through their own sources if it still wants work.
    this.#wakeups.wake();
  }

  waitForWork(timeoutMs: number, signal: AbortSignal): Promise<void> {
    return this.#wakeups.wait(timeoutMs, signal);
  }

  async close(): Promise<void> {
    for (const u of this.#unsubscribe) u();
    this.#wakeups.releaseAll();
  }
}
