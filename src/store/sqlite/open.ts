import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { MIGRATIONS } from '../migrations/index.ts';
import { type MigrationDb, migrateToLatest } from '../migrations/migrate.ts';
import type { Migration } from '../migrations/migration.ts';
import type { DB } from '../sql/schema.ts';
import { SqlStore } from '../sql/sql-store.ts';
import { sqliteAdapterFor } from './sqlite-adapter.ts';
import { withStatementCache } from './statement-cache.ts';

export interface SqliteOptions {
  /** Directory holding stint.db; ':memory:' for an in-memory database. */
  dataDir: string;
}

/** Opens (creating if needed) the embedded store in WAL mode and applies pending migrations. */
export async function openSqliteStore(opts: SqliteOptions): Promise<SqlStore> {
  let file = ':memory:';
  if (opts.dataDir !== ':memory:') {
    mkdirSync(opts.dataDir, { recursive: true });
    file = join(opts.dataDir, 'stint.db');
  }
  const database = new Database(file);
  // First, so that switching a new file to WAL waits for another process doing the same.
  database.pragma('busy_timeout = 10000');
  await switchToWal(database);
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) });
  try {
    await migrateSqlite(database, MIGRATIONS, db);
  } catch (e) {
    database.close();
    throw e;
  }
  return new SqlStore(db, sqliteAdapterFor(database));
}

/**
 * Switching a file to WAL takes an exclusive lock, and SQLite answers SQLITE_BUSY at once rather
 * than through the busy handler when another process opening the same new file holds a shared lock
 * (waiting could deadlock): try again for a while, as the busy timeout would.
 */
async function switchToWal(database: Database.Database): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (let wait = 5; ; wait = Math.min(wait * 2, 200)) {
    try {
      database.pragma('journal_mode = WAL');
      return;
    } catch (e) {
      if ((e as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) {
        database.close();
        throw e;
      }
    }
    await new Promise((r) => setTimeout(r, wait));
  }
}

/**
 * Applies pending migrations (src/store/migrations/migrate.ts: Kysely's Migrator inside one
 * `begin immediate` transaction, so processes opening one new data directory at once take turns).
 */
export async function migrateSqlite(
  database: Database.Database,
  migrations: readonly Migration[] = MIGRATIONS,
  db: MigrationDb = new Kysely<DB>({ dialect: new SqliteDialect({ database }) }),
): Promise<string[]> {
  return migrateToLatest(db, {
    dialect: 'sqlite',
    migrations,
    // better-sqlite3 prepares one statement at a time; exec runs a migration's several.
    exec: async (_db, text) => {
      database.exec(text);
    },
  });
}
