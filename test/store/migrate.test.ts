/**
 * Migrations through Kysely's Migrator: databases the earlier runners made upgrade without
 * re-running what they applied; a newer database is refused; and processes opening one brand-new
 * SQLite data directory at once all succeed, the schema made once.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { MIGRATIONS } from '../../src/store/migrations/index.ts';
import { migrationName } from '../../src/store/migrations/migrate.ts';
import { migratePostgres } from '../../src/store/postgres/migrate.ts';
import { migrateSqlite, openSqliteStore } from '../../src/store/sqlite/open.ts';
import { legacyMigratePostgres, legacyMigrateSqlite } from '../support/legacy-migrate.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { makeTempDir } from '../support/server.ts';

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});
const names = MIGRATIONS.map(migrationName).sort();

function tempDir(prefix: string): string {
  const dir = makeTempDir(prefix);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('SQLite made by the earlier runner: its versions are adopted, none re-run, the rest applied', async () => {
  const dir = tempDir('stint-legacy-sqlite-');
  const raw = new Database(join(dir, 'stint.db'));
  const older = MIGRATIONS.filter((m) => m.version < 200);
  legacyMigrateSqlite(raw, older);
  const appliedAt = raw.prepare('select applied_at from stint_migrations where version = 1').pluck().get();
  raw.close();

  const store = await openSqliteStore({ dataDir: dir });
  await store.close();
  const db = new Database(join(dir, 'stint.db'));
  try {
    const rows = db.prepare('select name, timestamp from kysely_migration order by name').all() as {
      name: string;
      timestamp: string;
    }[];
    assert.deepEqual(
      rows.map((r) => r.name),
      names,
    );
    assert.equal(rows[0]!.timestamp, appliedAt, 'adopted with the time the earlier runner applied it');
    // Nothing is left to apply (a re-run of 0001-init would fail on its existing tables anyway).
    assert.deepEqual(await migrateSqlite(db), []);
  } finally {
    db.close();
  }
});

test('SQLite holding a version this build does not know is refused', async () => {
  const dir = tempDir('stint-newer-sqlite-');
  await (await openSqliteStore({ dataDir: dir })).close();
  const db = new Database(join(dir, 'stint.db'));
  db.prepare("insert into kysely_migration (name, timestamp) values ('9999-from-the-future', 'x')").run();
  db.close();
  await assert.rejects(openSqliteStore({ dataDir: dir }), /does not know \(9999\)/);
});

test('PostgreSQL made by the earlier runner: its versions are adopted, none re-run, the rest applied', async () => {
  const database = await createTestDatabase();
  cleanups.push(() => database.cleanup());
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    await legacyMigratePostgres(
      client,
      MIGRATIONS.filter((m) => m.version < 200),
    );
    const applied = await migratePostgres(database.url, MIGRATIONS);
    assert.deepEqual(applied, MIGRATIONS.filter((m) => m.version >= 200).map(migrationName));
    const { rows } = await client.query<{ name: string }>('select name from kysely_migration order by name');
    assert.deepEqual(
      rows.map((r) => r.name),
      names,
    );
    assert.deepEqual(await migratePostgres(database.url, MIGRATIONS), []);
  } finally {
    await client.end();
  }
});

/** Runs `script` in a child Node (the test's own, 24) and resolves with its exit code and stderr. */
function child(
  script: string,
  args: string[],
): { ready: Promise<void>; done: Promise<{ code: number | null; err: string }> } {
  const p = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  p.stderr.on('data', (d) => {
    err += d;
  });
  const ready = new Promise<void>((resolve, reject) => {
    p.stdout.on('data', (d) => {
      if (String(d).includes('ready')) resolve();
    });
    p.on('exit', () => reject(new Error(`exited before it was ready: ${err}`)));
  });
  const done = new Promise<{ code: number | null; err: string }>((resolve) => {
    p.on('exit', (code) => resolve({ code, err }));
  });
  return { ready, done };
}

test('several processes opening one brand-new SQLite data directory at once all succeed', async () => {
  const work = tempDir('stint-race-');
  const dataDir = join(work, 'data');
  const go = join(work, 'go');
  const script = join(work, 'open.ts');
  const openModule = join(import.meta.dirname, '../../src/store/sqlite/open.ts');
  // Each child loads the store code, says it is ready, then waits for the go file: they open together.
  writeFileSync(
    script,
    `import { existsSync } from 'node:fs';
import { openSqliteStore } from ${JSON.stringify(openModule)};
const [dataDir, go] = process.argv.slice(2);
process.stdout.write('ready\\n');
const deadline = Date.now() + 200_000;
while (!existsSync(go)) {
  if (Date.now() > deadline) throw new Error('no go');
  await new Promise((r) => setTimeout(r, 5));
}
const store = await openSqliteStore({ dataDir });
await store.close();
`,
  );
  const children = Array.from({ length: 6 }, () => child(script, [dataDir, go]));
  await Promise.all(children.map((c) => c.ready));
  writeFileSync(go, '');
  const results = await Promise.all(children.map((c) => c.done));
  for (const r of results) assert.equal(r.code, 0, r.err);
  const db = new Database(join(dataDir, 'stint.db'));
  try {
    const rows = db.prepare('select name from kysely_migration order by name').pluck().all();
    assert.deepEqual(rows, names);
  } finally {
    db.close();
  }
});
