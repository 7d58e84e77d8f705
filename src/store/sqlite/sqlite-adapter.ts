import type Database from 'better-sqlite3';
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

/**
 * The adapter for one database: sqliteAdapter plus `readNow` on that database's connection. The few
 * SQL texts it runs are prepared once each (the callers pass constant SQL).
 */
export function sqliteAdapterFor(database: Database.Database): SqlAdapter {
  const statements = new Map<string, Database.Statement>();
  return {
    ...sqliteAdapter,
    readNow<R>(text: string, params: readonly unknown[]) {
      // Inside a transaction (a write between its awaits) the row may be uncommitted: not here.
      if (database.inTransaction) return undefined;
      let stmt = statements.get(text);
      if (!stmt) {
        stmt = database.prepare(text);
        if (statements.size < 100) statements.set(text, stmt);
      }
      return { row: stmt.get(...params) as R | undefined };
    },
  };
}
