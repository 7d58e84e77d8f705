import type Database from 'better-sqlite3';
import { CompiledQuery, type Kysely } from 'kysely';
import { nowMicros } from '../../domain/time.ts';
import type { SqlAdapter } from '../sql/adapter.ts';
import type { DB } from '../sql/schema.ts';

// Compiled once: every session change is a transaction.
const BEGIN = CompiledQuery.raw('begin immediate');
const COMMIT = CompiledQuery.raw('commit');
const ROLLBACK = CompiledQuery.raw('rollback');

/** SQLite: one connection, writes serialised by BEGIN IMMEDIATE so a read-then-write never deadlocks. */
export const sqliteAdapter: SqlAdapter = {
  kind: 'sqlite',
  capabilities: { skipLocked: false, multiProcess: false },
  async writeTransaction<T>(db: Kysely<DB>, fn: (trx: Kysely<DB>) => Promise<T>): Promise<T> {
    return db.connection().execute(async (conn) => {
      await conn.executeQuery(BEGIN);
      try {
        const result = await fn(conn);
        await conn.executeQuery(COMMIT);
        return result;
      } catch (err) {
        await conn.executeQuery(ROLLBACK);
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
