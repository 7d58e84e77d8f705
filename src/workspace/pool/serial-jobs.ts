// Background jobs run one at a time (the pool must not compete with sessions for CPU and disk),
// with at most one pending background job per key. An idle queue starts working only `delayMs`
// after a job arrives, so that the session whose start triggered the job gets going first.

import { setTimeout as sleep } from 'node:timers/promises';

interface Job {
  run: () => Promise<unknown>;
  /** Awaited by a caller: still runs when the queue closes. */
  awaited: boolean;
}

export class SerialJobs {
  readonly #pending = new Map<string, Job>();
  #running: Promise<void> | undefined;
  #closed = false;
  #seq = 0;
  readonly #delayMs: number;
  readonly #stop = new AbortController();

  constructor(delayMs = 0) {
    this.#delayMs = delayMs;
  }

  get busy(): boolean {
    return this.#running !== undefined;
  }

  /** Queues `job` unless one for `key` is already waiting. Its errors are its own business. */
  schedule(key: string, job: () => Promise<void>): void {
    if (this.#closed || this.#pending.has(key)) return;
    this.#pending.set(key, { run: job, awaited: false });
    this.#running ??= this.#drain();
  }

  /** Runs `job` in turn with the queued ones and waits for it. */
  run<T>(job: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(`run:${this.#seq++}`, { run: () => job().then(resolve, reject), awaited: true });
      this.#running ??= this.#drain();
    });
  }

  /** Drops background jobs that have not started and waits for the rest. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#stop.abort();
    for (const [key, job] of this.#pending) if (!job.awaited) this.#pending.delete(key);
    await this.#running;
  }

  async #drain(): Promise<void> {
    try {
      if (this.#delayMs > 0 && !this.#closed) {
        await sleep(this.#delayMs, undefined, { signal: this.#stop.signal, ref: false }).catch(
          () => undefined,
        );
      }
      for (;;) {
        const next = this.#pending.entries().next();
        if (next.done) return;
        const [key, job] = next.value;
        this.#pending.delete(key);
        await job.run().catch(() => undefined);
      }
    } finally {
      this.#running = undefined;
    }
  }
}
