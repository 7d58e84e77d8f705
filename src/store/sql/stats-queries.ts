/** Counts for metrics. */
import type { Kysely } from 'kysely';
import type { StatsStore } from '../stats-store.ts';
import type { SqlAdapter } from './adapter.ts';
import type { DB } from './schema.ts';

export class SqlStatsStore implements StatsStore {
  readonly #db: Kysely<DB>;
  readonly #adapter: SqlAdapter;

  constructor(db: Kysely<DB>, adapter: SqlAdapter) {
    this.#db = db;
    this.#adapter = adapter;
  }

  async queueDepth(): Promise<number> {
    const now = this.#adapter.now();
    const row = await this.#db
      .selectFrom('sessions')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('wants_work', '=', 1)
      .where((w) => w.or([w('lease_expires_at', 'is', null), w('lease_expires_at', '<', now)]))
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async leasedSessions(): Promise<number> {
    const row = await this.#db
      .selectFrom('sessions')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('lease_owner', 'is not', null)
      .where('lease_expires_at', '>=', this.#adapter.now())
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }
}
