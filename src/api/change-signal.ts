/**
 * Wakes a live view when a matching session change is announced in-process, without losing one
 * announced between the view's store read and its wait (the flag is set from subscription on).
 * Changes made by other processes arrive through the store-level bridge, and a poll interval
 * bounds the wait in any case: the store is always the truth.
 */
import type { SessionChanged, SessionEvents } from '../services/events.ts';

export class ChangeSignal {
  readonly #unsubscribe: () => void;
  #dirty = false;
  #wake: (() => void) | undefined;

  constructor(events: SessionEvents, matches: (c: SessionChanged) => boolean) {
    this.#unsubscribe = events.onChanged((c) => {
      if (!matches(c)) return;
      this.#dirty = true;
      this.#wake?.();
    });
  }

  /** Resolves at the next matching change (or at once if one came since the last wait), after pollMs at most. */
  wait(pollMs: number, signal: AbortSignal): Promise<void> {
    if (this.#dirty || signal.aborted) {
      this.#dirty = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.#wake = undefined;
        this.#dirty = false;
        resolve();
      };
      const timer = setTimeout(done, pollMs);
      signal.addEventListener('abort', done, { once: true });
      this.#wake = done;
    });
  }

  close(): void {
    this.#unsubscribe();
    this.#wake?.();
  }
}
