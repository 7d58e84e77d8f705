/**
 * The migration runners Stint used before Kysely's Migrator, frozen here so that tests can make a
 * database exactly as an older Stint left it (versions in stint_migrations) and check that it
 * upgrades without re-running what they applied.
 */
import type Database from 'better-sqlite3';
import type pg from 'pg';
import type { Migration } from '../../src/store/migrations/migration.ts';

export function legacyMigrateSqlite(database: Database.Database, migrations: readonly Migration[]): void {
  database.exec(`create table if not exists meta (key text primary key, value text not null);
    create table if not exists stint_migrations (version integer primary key, name text not null, applied_at text not null)`);
  const applied = new Set(
    (database.prepare('select version from stint_migrations').all() as { version: number }[]).map(
      (r) => r.version,
    ),
  );
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

export async function legacyMigratePostgres(
  client: pg.Client,
  migrations: readonly Migration[],
): Promise<void> {
  await client.query('select pg_advisory_lock($1::bigint)', ['358435352180']);
  try {
    await client.query(`
      create table if not exists meta (key text primary key, value text not null);
      create table if not exists stint_migrations (
        version integer primary key,
        name text not null,
        applied_at timestamptz not null default now()
      )`);
    const { rows } = await client.query<{ version: number }>('select version from stint_migrations');
    const applied = new Set(rows.map((r) => Number(r.version)));
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (applied.has(m.version)) continue;
      await client.query('begin');
      try {
        await client.query(m.postgres);
        await client.query('insert into stint_migrations (version, name) values ($1, $2)', [
          m.version,
          m.name,
        ]);
        await client.query(
          `insert into meta (key, value) values ('schema_version', $1)
           on conflict (key) do update set value = greatest(meta.value::integer, excluded.value::integer)::text`,
          [String(m.version)],
        );
        await client.query('commit');
      } catch (e) {
        await client.query('rollback').catch(() => {});
        throw e;
      }
    }
  } finally {
    await client.query('select pg_advisory_unlock($1::bigint)', ['358435352180']).catch(() => {});
  }
}
