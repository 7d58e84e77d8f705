/**
 * The database server's clock, read locally: every Stint process sharing a PostgreSQL store stamps
 * activities and leases with the same clock (within half a round trip), whatever its own clock says.
 */
import { nowMicros } from '../../domain/time.ts';

/** Reads the database clock in microseconds. */
export type DbClockReader = () => Promise<number>;

const SAMPLES = 3;
const REFRESH_MS = 5 * 60_000;

export class DbClock {
  readonly #read: DbClockReader;
  #offset = 0;
  #last = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(read: DbClockReader) {
    this.#read = read;
  }

  /** Measures the offset now, then refreshes it in the background. */
  async start(): Promise<void> {
    await this.sync();
    this.#timer = setInterval(() => void this.sync().catch(() => {}), REFRESH_MS);
    this.#timer.unref();
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
  }

  /** Database time in microseconds; never goes backwards within this process. */
  now(): number {
    const t = Math.max(nowMicros() + this.#offset, this.#last);
    this.#last = t;
    return t;
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
