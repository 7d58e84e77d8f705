import { randomUUID } from 'node:crypto';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { MIGRATIONS } from '../migrations/index.ts';
import type { DB } from '../sql/schema.ts';
import { SqlStore } from '../sql/sql-store.ts';
import { DbClock } from './clock.ts';
import { migratePostgres } from './migrate.ts';
import { postgresAdapter } from './postgres-adapter.ts';

export interface PostgresOptions {
  /** postgres:// or postgresql:// connection URL (libpq parameters such as sslmode allowed). */
  url: string;
  /** Connections in the pool (default 10). */
  poolSize?: number;
  /** Shown in pg_stat_activity. */
  applicationName?: string;
  /** Background failures (the clock sync), to be logged. */
  onBackgroundError?: (err: unknown, what: string) => void;
}

const INT8_OID = 20;

/** int8 (bigint, count(*)) arrives as a string by default; every such value Stint stores fits a double. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** Connects, applies pending migrations under an advisory lock, and returns the store. */
export async function openPostgresStore(opts: PostgresOptions): Promise<SqlStore> {
  const applicationName = opts.applicationName ?? 'stint';
  await migratePostgres(opts.url, MIGRATIONS, applicationName);

  const pool = new pg.Pool({
    connectionString: opts.url,
    application_name: applicationName,
    max: opts.poolSize ?? 10,
    types,
  });
  // An idle connection that breaks (database restart) is dropped by the pool; the next query reconnects.
  pool.on('error', () => {});
  // Every connection names this store as the writer of its transactions' change notifications
  // (migration 220). Set on connect, before the pool hands the connection to its first query; a
  // failure leaves the notices unnamed, which costs a repeated live event, never a lost one.
  const writerId = randomUUID();
  pool.on('connect', (client) => {
    client.query("select set_config('stint.writer', $1, false)", [writerId]).catch(() => {});
  });
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  const clock = new DbClock(
    async () => {
      const { rows } = await pool.query<{ now: number }>(
        'select (extract(epoch from clock_timestamp()) * 1000000)::int8 as now',
      );
      return Number(rows[0]!.now);
    },
    {
      onError: (err) => opts.onBackgroundError?.(err, 'reading the database clock failed; retrying soon'),
    },
  );
  try {
    await clock.start();
  } catch (e) {
    await pool.end().catch(() => {});
    throw e;
  }
  return new SqlStore(db, postgresAdapter(clock, writerId), async () => {
    clock.stop();
    // Kysely ends the pool only if it ever used it.
    if (!pool.ended) await pool.end();
  });
}
