import { type Kysely, sql } from 'kysely';
import { nowMicros } from '../../domain/time.ts';
import type { SqlAdapter } from '../sql/adapter.ts';
import type { DB } from '../sql/schema.ts';

/** SQLite: one connection, writes serialised by BEGIN IMMEDIATE so a read-then-write never deadlocks. */
export const sqliteAdapter: SqlAdapter = {
  kind: 'sqlite',
  capabilities: { skipLocked: false, multiProcess: false },
  async writeTransaction<T>(db: Kysely<DB>, fn: (trx: Kysely<DB>) => Promise<T>): Promise<T> {
    return db.connection().execute(async (conn) => {
      await sql`begin immediate`.execute(conn);
      try {
        const result = await fn(conn);
        await sql`commit`.execute(conn);
        return result;
      } catch (err) {
        await sql`rollback`.execute(conn);
        throw err;
      }
    });
  },
  now: nowMicros,
};
