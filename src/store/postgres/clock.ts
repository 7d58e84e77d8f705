/**
 * The database server's clock, read locally: every Stint process sharing a PostgreSQL store stamps
 * activities and leases with the same clock (within half a round trip), whatever its own clock says.
 *
 * The offset is measured again every few minutes. A failed measurement is logged and counted, and
 * retried sooner; past `maxStaleMs` without a good one the offset is no longer trusted and `now()`
 * throws UNAVAILABLE: leases (whose expiry every worker compares) and activity times are not
 * stamped with a clock that may have drifted from the others'.
 */
import { StintError } from '../../domain/errors.ts';
import { nowMicros } from '../../domain/time.ts';
import { backgroundFaults } from '../../services/background-faults.ts';

/** Reads the database clock in microseconds. */
export type DbClockReader = () => Promise<number>;

export interface DbClockOptions {
  refreshMs?: number;
  /** Retry interval after a failed refresh. */
  retryMs?: number;
  /** How long the last good offset is trusted. */
  maxStaleMs?: number;
  onError?: (err: unknown) => void;
  /** Monotonic milliseconds (tests). */
  monotonicMs?: () => number;
}

const SAMPLES = 3;
const REFRESH_MS = 5 * 60_000;
const RETRY_MS = 10_000;
const MAX_STALE_MS = 3 * REFRESH_MS;

export class DbClock {
  readonly #read: DbClockReader;
  readonly #opts: Required<Omit<DbClockOptions, 'onError'>> & Pick<DbClockOptions, 'onError'>;
  #offset = 0;
  #last = 0;
  #syncedAt: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(read: DbClockReader, opts: DbClockOptions = {}) {
    this.#read = read;
    this.#opts = {
      refreshMs: opts.refreshMs ?? REFRESH_MS,
      retryMs: opts.retryMs ?? RETRY_MS,
      maxStaleMs: opts.maxStaleMs ?? MAX_STALE_MS,
      monotonicMs: opts.monotonicMs ?? (() => performance.now()),
      ...(opts.onError ? { onError: opts.onError } : {}),
    };
  }

  /** Measures the offset now, then refreshes it in the background. */
  async start(): Promise<void> {
    await this.sync();
    this.#schedule(this.#opts.refreshMs);
  }

  /** Takes the sample with the shortest round trip. */
  async sync(): Promise<void> {
    let best: { rtt: number; offset: number } | undefined;
    for (let i = 0; i < SAMPLES; i++) {
      const t0 = nowMicros();
      const db = await this.#read();
      const t1 = nowMicros();
      const sample = { rtt: t1 - t0, offset: db - Math.round((t0 + t1) / 2) };
      if (!best || sample.rtt < best.rtt) best = sample;
    }
    this.#offset = best!.offset;
    this.#syncedAt = this.#opts.monotonicMs();
  }

  /** One background refresh: a failure is logged and counted, never thrown. Returns whether it worked. */
  async refresh(): Promise<boolean> {
    try {
      await this.sync();
      return true;
    } catch (err) {
      backgroundFaults.record('clock_sync');
      this.#opts.onError?.(err);
      return false;
    }
  }

  /** Database time in microseconds; never goes backwards within this process. */
  now(): number {
    const age = this.#syncedAt === undefined ? Infinity : this.#opts.monotonicMs() - this.#syncedAt;
    if (age > this.#opts.maxStaleMs) {
      throw new StintError(
        'UNAVAILABLE',
        `The database clock has not been read for ${Number.isFinite(age) ? `${Math.round(age / 1000)} s` : 'ever'}; ` +
          'leases and activity times are not stamped with a stale offset. Check the connection to PostgreSQL.',
        { retryAfter: Math.ceil(this.#opts.retryMs / 1000) },
      );
    }
    const t = Math.max(nowMicros() + this.#offset, this.#last);
    this.#last = t;
    return t;
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      void this.refresh().then((ok) => this.#schedule(ok ? this.#opts.refreshMs : this.#opts.retryMs));
    }, ms);
    this.#timer.unref();
  }
}
