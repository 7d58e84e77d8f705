import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { MIGRATIONS } from '../migrations/index.ts';
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
export function openSqliteStore(opts: SqliteOptions): SqlStore {
  let file = ':memory:';
  if (opts.dataDir !== ':memory:') {
    mkdirSync(opts.dataDir, { recursive: true });
    file = join(opts.dataDir, 'stint.db');
  }
  const database = new Database(file);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('busy_timeout = 10000');
  database.pragma('foreign_keys = ON');
  migrateSqlite(database);
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) });
  return new SqlStore(db, sqliteAdapterFor(database));
}

/**
 * Applies every migration not yet recorded, in version order, each in its own
 * transaction. Applied versions are recorded one by one, so a migration added with
 * a lower number than one already applied still runs.
 */
export function migrateSqlite(
  database: Database.Database,
  migrations: readonly Migration[] = MIGRATIONS,
): void {
  database.exec(`create table if not exists meta (key text primary key, value text not null);
    create table if not exists stint_migrations (version integer primary key, name text not null, applied_at text not null)`);
  const applied = new Set(
    (database.prepare('select version from stint_migrations').all() as { version: number }[]).map(
      (r) => r.version,
    ),
  );
  const known = new Set(MIGRATIONS.map((m) => m.version));
  const unknown = [...applied].filter((v) => !known.has(v));
  if (unknown.length > 0) {
    throw new Error(
      `the store has schema migrations this version of Stint does not know (${unknown.join(', ')}); run a Stint at least as new as the one that last upgraded it.`,
    );
  }
  const record = database.prepare(
    'insert into stint_migrations (version, name, applied_at) values (?, ?, ?)',
  );
  for (const m of migrations) {
    if (applied.has(m.version)) continue;
    database
      .transaction(() => {
        database.exec(m.sqlite);
        record.run(m.version, m.name, new Date().toISOString());
      })
      .immediate();
  }
}
