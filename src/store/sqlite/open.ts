import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { MIGRATIONS } from '../migrations/index.ts';
import type { DB } from '../sql/schema.ts';
import { SqlStore } from '../sql/sql-store.ts';
import { sqliteAdapter } from './sqlite-adapter.ts';
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
  migrate(database);
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) });
  return new SqlStore(db, sqliteAdapter);
}

function migrate(database: Database.Database): void {
  database.exec('create table if not exists meta (key text primary key, value text not null)');
  const row = database.prepare("select value from meta where key = 'schema_version'").get() as
    | { value: string }
    | undefined;
  let current = row ? Number(row.value) : 0;
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    database
      .transaction(() => {
        database.exec(m.sqlite);
        database
          .prepare(
            "insert into meta (key, value) values ('schema_version', ?) on conflict(key) do update set value = excluded.value",
          )
          .run(String(m.version));
      })
      .immediate();
    current = m.version;
  }
}
