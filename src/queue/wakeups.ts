/** Idle workers waiting for a hint that work may be available. */
export class Wakeups {
  readonly #waiters = new Set<() => void>();
  #pending = false;

  /** Forgets earlier hints: the caller is about to look for work itself. */
  clear(): void {
    this.#pending = false;
  }

  wake(): void {
    this.#pending = true;
    for (const w of [...this.#waiters]) w();
  }

  /** Resolves on the next hint (or at once if one came since clear()), on timeout, or on abort. */
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

  /** Releases every waiter. */
  releaseAll(): void {
    for (const w of [...this.#waiters]) w();
  }
}
