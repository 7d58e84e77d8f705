/**
 * Applies pending migrations to a PostgreSQL database (src/store/migrations/migrate.ts: Kysely's
 * Migrator under an advisory lock, so any number of processes may start at once), over a
 * connection of its own that is closed afterwards.
 */
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { migrateToLatest } from '../migrations/migrate.ts';
import type { Migration } from '../migrations/migration.ts';
import type { DB } from '../sql/schema.ts';

export { SchemaTooNewError } from '../migrations/migrate.ts';

export async function migratePostgres(
  url: string,
  migrations: readonly Migration[],
  applicationName = 'stint',
): Promise<string[]> {
  const pool = new pg.Pool({ connectionString: url, application_name: applicationName, max: 1 });
  pool.on('error', () => {});
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  try {
    return await migrateToLatest(db, {
      dialect: 'postgres',
      migrations,
      // No parameters: pg sends it as a simple query, which may hold several statements.
      exec: async (trx, text) => {
        await sql.raw(text).execute(trx);
      },
    });
  } finally {
    await db.destroy();
  }
}
