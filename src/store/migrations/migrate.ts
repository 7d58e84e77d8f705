/**
 * Applies the migrations with Kysely's Migrator, over the one-file-per-version migrations (each
 * holding the SQL of both dialects): a version becomes the migration name `0074-session-turns`, so
 * Kysely's alphabetical order is version order, and a lower version added after a higher one was
 * applied still runs (allowUnorderedMigrations, as parallel branches need).
 *
 * Around the Migrator, per database and under one lock for the whole run:
 * - SQLite: `begin immediate`, so processes opening a new data directory at once wait for the
 *   first to finish instead of each creating the tables; the run commits or rolls back as a whole.
 * - PostgreSQL: the advisory lock the earlier runner took (same key, so an old and a new process
 *   starting together still take turns); Kysely runs the pending migrations in one transaction.
 * - Versions recorded by the earlier runners (table stint_migrations) are copied into Kysely's
 *   table first, so a database they made is upgraded without re-running what they applied.
 * - A database holding versions this build does not know is refused (a newer Stint upgraded it).
 */
import { type Kysely, type MigrationProvider, Migrator, sql } from 'kysely';
import type { Migration } from './migration.ts';

export type MigrationDialect = 'sqlite' | 'postgres';

/** Migrations run before any table of the schema type exists, on tables it does not describe. */
// biome-ignore lint/suspicious/noExplicitAny: Kysely's Migrator itself takes Kysely<any>.
export type MigrationDb = Kysely<any>;

/** pg_advisory_lock key: 'Stint' in ASCII (the key the earlier runner used). */
const PG_LOCK_KEY = '358435352180';
const TABLE = 'kysely_migration';
const LEGACY_TABLE = 'stint_migrations';

export class SchemaTooNewError extends Error {}

/** The Migrator's name of a migration: its version, zero-padded, and its name. */
export function migrationName(m: Pick<Migration, 'version' | 'name'>): string {
  return `${String(m.version).padStart(4, '0')}-${m.name}`;
}

export interface MigrateOptions {
  dialect: MigrationDialect;
  migrations: readonly Migration[];
  /** Runs one migration's SQL (several statements) on the migrating connection. */
  exec(db: MigrationDb, sqlText: string): Promise<void>;
}

function provider(opts: MigrateOptions): MigrationProvider {
  return {
    async getMigrations() {
      return Object.fromEntries(
        opts.migrations.map((m) => [
          migrationName(m),
          { up: (db: MigrationDb) => opts.exec(db, m[opts.dialect]) },
        ]),
      );
    },
  };
}

/** Applies every pending migration; returns the names applied now. */
export async function migrateToLatest(db: MigrationDb, opts: MigrateOptions): Promise<string[]> {
  return db.connection().execute(async (conn) => {
    if (opts.dialect === 'sqlite') await sql`begin immediate`.execute(conn);
    else await sql`select pg_advisory_lock(${sql.lit(PG_LOCK_KEY)}::bigint)`.execute(conn);
    try {
      const applied = await migrateLocked(conn, opts);
      if (opts.dialect === 'sqlite') await sql`commit`.execute(conn);
      return applied;
    } catch (e) {
      if (opts.dialect === 'sqlite') await sql`rollback`.execute(conn).catch(() => {});
      throw e;
    } finally {
      if (opts.dialect === 'postgres') {
        await sql`select pg_advisory_unlock(${sql.lit(PG_LOCK_KEY)}::bigint)`.execute(conn).catch(() => {});
      }
    }
  });
}

async function migrateLocked(db: MigrationDb, opts: MigrateOptions): Promise<string[]> {
  await sql`create table if not exists meta (key text primary key, value text not null)`.execute(db);
  await db.schema
    .createTable(TABLE)
    .ifNotExists()
    .addColumn('name', 'varchar(255)', (col) => col.notNull().primaryKey())
    .addColumn('timestamp', 'varchar(255)', (col) => col.notNull())
    .execute();
  await adoptLegacyVersions(db, opts.migrations);
  await refuseUnknown(db, opts.migrations);
  const migrator = new Migrator({ db, provider: provider(opts), allowUnorderedMigrations: true });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error) {
    const failed = results.find((r) => r.status === 'Error')?.migrationName ?? 'a migration';
    throw new Error(`migration ${failed} failed: ${(error as Error).message}`, { cause: error });
  }
  const latest = Math.max(...opts.migrations.map((m) => m.version));
  if (opts.dialect === 'postgres' && Number.isFinite(latest)) {
    await sql`insert into meta (key, value) values ('schema_version', ${String(latest)})
      on conflict (key) do update set value = greatest(meta.value::integer, excluded.value::integer)::text`.execute(
      db,
    );
  }
  return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Copies the versions the earlier runners recorded (stint_migrations) into Kysely's table. */
async function adoptLegacyVersions(db: MigrationDb, migrations: readonly Migration[]): Promise<void> {
  const tables = await db.introspection.getTables();
  if (!tables.some((t) => t.name === LEGACY_TABLE)) return;
  const legacy = await db.selectFrom(LEGACY_TABLE).select(['version', 'name', 'applied_at']).execute();
  const have = new Set((await db.selectFrom(TABLE).select('name').execute()).map((r) => r.name as string));
  const byVersion = new Map(migrations.map((m) => [m.version, m]));
  for (const row of legacy) {
    const version = Number(row.version);
    const name = migrationName(byVersion.get(version) ?? { version, name: String(row.name) });
    if (have.has(name)) continue;
    const at = row.applied_at instanceof Date ? row.applied_at : new Date(String(row.applied_at));
    const timestamp = Number.isNaN(at.getTime()) ? new Date().toISOString() : at.toISOString();
    await db.insertInto(TABLE).values({ name, timestamp }).execute();
  }
}

async function refuseUnknown(db: MigrationDb, migrations: readonly Migration[]): Promise<void> {
  const known = new Set(migrations.map(migrationName));
  const unknown = (await db.selectFrom(TABLE).select('name').execute())
    .map((r) => r.name as string)
    .filter((n) => !known.has(n))
    .map((n) => Number.parseInt(n, 10))
    .sort((a, b) => a - b);
  if (unknown.length > 0) {
    throw new SchemaTooNewError(
      `the database has schema migrations this version of Stint does not know (${unknown.join(', ')}); ` +
        'run a Stint at least as new as the one that last upgraded it.',
    );
  }
}
