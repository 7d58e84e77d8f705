/**
 * Applies the `postgres` SQL of every migration this build knows and the database has not seen,
 * in version order, each in its own transaction, while holding an advisory lock, so that any
 * number of processes may start at once. Applied versions are recorded one row each.
 */
import type pg from 'pg';
import type { Migration } from '../migrations/migration.ts';

/** pg_advisory_lock key: 'Stint' in ASCII. */
const LOCK_KEY = '358435352180';

export class SchemaTooNewError extends Error {}

export async function migratePostgres(
  client: pg.Client,
  migrations: readonly Migration[],
): Promise<number[]> {
  await client.query('select pg_advisory_lock($1::bigint)', [LOCK_KEY]);
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
    const known = new Set(migrations.map((m) => m.version));
    const unknown = [...applied].filter((v) => !known.has(v)).sort((a, b) => a - b);
    if (unknown.length > 0) {
      throw new SchemaTooNewError(
        `the database has schema migrations this version of Stint does not know (${unknown.join(', ')}); ` +
          'run a Stint at least as new as the one that last upgraded it.',
      );
    }
    const done: number[] = [];
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
        throw new Error(`migration ${m.version} (${m.name}) failed: ${(e as Error).message}`, { cause: e });
      }
      done.push(m.version);
    }
    return done;
  } finally {
    await client.query('select pg_advisory_unlock($1::bigint)', [LOCK_KEY]).catch(() => {});
  }
}
