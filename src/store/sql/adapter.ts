import type { Kysely } from 'kysely';
import type { StoreCapabilities } from '../store.ts';
import type { DB } from './schema.ts';

/** What differs between SQL databases; everything else is shared query code. */
export interface SqlAdapter {
  readonly kind: 'sqlite' | 'postgres';
  readonly capabilities: StoreCapabilities;
  /** The id change notifications carry for this store's writes (PostgreSQL). */
  readonly writerId?: string;
  /** Runs fn in a write transaction (SQLite: BEGIN IMMEDIATE; PostgreSQL: READ COMMITTED + row locks). */
  writeTransaction<T>(db: Kysely<DB>, fn: (trx: Kysely<DB>) => Promise<T>): Promise<T>;
  /** Current time in microseconds as the database sees it (the same clock for every process). */
  now(): number;
  /**
   * A one-row read run at once on the connection, without Kysely's driver and its connection mutex
   * (SQLite: a prepared better-sqlite3 statement, synchronous), for the hot reads. Answers undefined
   * when the connection is inside a transaction: the caller then queues behind it through Kysely,
   * so it never sees uncommitted writes. Absent where the database has no such path (PostgreSQL).
   */
  readNow?<R>(sql: string, params: readonly unknown[]): { row: R | undefined } | undefined;
}
