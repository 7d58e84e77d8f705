/**
 * The one "something may have changed, look again" primitive: idle workers waiting for work (the
 * queues) and live views waiting for a session change (the SSE streams). A hint that arrives while
 * nobody waits is kept for the next wait, so none is lost between a caller's look and its wait;
 * a hint that wakes waiters is theirs. A timeout bounds every wait: the store is always the truth.
 */
import type { SessionChanged, SessionEvents } from './events.ts';

export class WakeSignal {
  readonly #waiters = new Set<() => void>();
  #pending = false;

  /** Forgets a kept hint: the caller is about to look for itself. */
  clear(): void {
    this.#pending = false;
  }

  wake(): void {
    if (this.#waiters.size === 0) this.#pending = true;
    for (const w of [...this.#waiters]) w();
  }

  /** Resolves on the next hint (or at once if one was kept), after timeoutMs at most, or on abort. */
  wait(timeoutMs: number, signal: AbortSignal): Promise<void> {
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

  /** Releases every waiter (at close). */
  releaseAll(): void {
    for (const w of [...this.#waiters]) w();
  }
}

/**
 * Wakes a live view when a matching session change is announced in-process, kept from subscription
 * on. Changes made by other processes arrive through the store-level bridge as the same events.
 */
export class ChangeSignal extends WakeSignal {
  readonly #unsubscribe: () => void;

  constructor(events: SessionEvents, matches: (c: SessionChanged) => boolean) {
    super();
    this.#unsubscribe = events.onChanged((c) => {
      if (matches(c)) this.wake();
    });
  }

  close(): void {
    this.#unsubscribe();
    this.releaseAll();
  }
}
