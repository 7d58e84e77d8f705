/**
 * The single-node queue: leases live in the sessions table (claimed in one
 * UPDATE ... RETURNING), wake-ups come from in-process events.
 */
import type { SessionEvents } from '../../services/events.ts';
import type { Store } from '../../store/store.ts';
import type { WorkQueue } from '../queue.ts';

export class InProcessQueue implements WorkQueue {
  readonly kind = 'in-process';
  readonly leaseMs: number;
  readonly #store: Store;
  readonly #waiters = new Set<() => void>();
  readonly #unsubscribe: () => void;
  #pending = false;

  constructor(store: Store, events: SessionEvents, leaseMs = 30_000) {
    this.#store = store;
    this.leaseMs = leaseMs;
    this.#unsubscribe = events.onWork(() => this.#wake());
  }

  async recover(): Promise<void> {
    // One process owns an SQLite store: any lease left is from a crashed run of this server.
    await this.#store.releaseAllLeases();
  }

  claim(owner: string): Promise<string | undefined> {
    this.#pending = false;
    return this.#store.claimSession(owner, this.leaseMs);
  }

  heartbeat(sessionId: string, owner: string): Promise<boolean> {
    return this.#store.renewLease(sessionId, owner, this.leaseMs);
  }

  async release(sessionId: string, owner: string): Promise<void> {
    await this.#store.releaseLease(sessionId, owner);
    this.#wake();
  }

  waitForWork(timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (this.#pending || signal.aborted) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal.addEventListener('abort', done, { once: true });
      this.#waiters.add(done);
    });
  }

  async close(): Promise<void> {
    this.#unsubscribe();
    for (const w of [...this.#waiters]) w();
  }

  #wake(): void {
    this.#pending = true;
    for (const w of [...this.#waiters]) w();
  }
}
