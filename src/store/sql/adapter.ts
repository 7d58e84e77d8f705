import type { Kysely } from 'kysely';
import type { StoreCapabilities } from '../store.ts';
import type { DB } from './schema.ts';

/** What differs between SQL databases; everything else is shared query code. */
export interface SqlAdapter {
  readonly kind: 'sqlite' | 'postgres';
  readonly capabilities: StoreCapabilities;
  /** Runs fn in a write transaction (SQLite: BEGIN IMMEDIATE; PostgreSQL: READ COMMITTED + row locks). */
  writeTransaction<T>(db: Kysely<DB>, fn: (trx: Kysely<DB>) => Promise<T>): Promise<T>;
  /** Current time in microseconds as the database sees it (the same clock for every process). */
  now(): number;
}
