/**
 * Sessions stored before the transcript moved out of the session row keep resuming: migration 74
 * moves each saved checkpoint (here the LLM agent's v1 fixture, waiting for an answer) into a base
 * row of session_turns and the plan into sessions.plan, on SQLite and on PostgreSQL; the agent's
 * loader reads it back unchanged. The databases are made by the runner Stint used before Kysely's
 * Migrator (test/support/legacy-migrate.ts), so this is also the upgrade of such a database.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { loadCheckpoint } from '../../src/agents/llm/checkpoint.ts';
import { replayTranscript } from '../../src/runner/transcript-log.ts';
import { MIGRATIONS } from '../../src/store/migrations/index.ts';
import { openPostgresStore } from '../../src/store/postgres/open.ts';
import { openSqliteStore } from '../../src/store/sqlite/open.ts';
import type { Store } from '../../src/store/store.ts';
import { legacyMigratePostgres, legacyMigrateSqlite } from '../support/legacy-migrate.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { makeTempDir } from '../support/server.ts';

const fixture = JSON.parse(
  readFileSync(join(import.meta.dirname, '../agents/fixtures/llm-checkpoint-v1-asking.json'), 'utf8'),
);
const plan = { id: 'plan1', createTime: 5, steps: [{ id: '1', title: 'Write', description: '', index: 0 }] };
const before74 = MIGRATIONS.filter((m) => m.version < 74);
const legacyState = JSON.stringify({ v: 1, checkpoint: fixture, plan });
const insertLegacy = `insert into sessions (id, tenant_id, prompt, title, require_plan_approval, automation_mode,
  state, archived, outputs, create_time, update_time, wants_work, last_seq, activity_count, last_activity_time,
  agent_state) values ('1234', 't', 'p', 'p', 0, 'AUTOMATION_MODE_UNSPECIFIED', 'AWAITING_USER_FEEDBACK', 0, '[]',
  1, 1, 0, 0, 0, 0, $1)`;

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function checkMigrated(store: Store): Promise<void> {
  const record = await store.getSession('1234');
  assert.deepEqual(record?.work.plan, plan);
  const entries = await store.loadTranscript('1234');
  assert.equal(entries.length, 1);
  assert.equal(entries[0]!.kind, 'base');
  const checkpoint = replayTranscript(entries);
  assert.deepEqual(checkpoint, fixture);
  const cp = loadCheckpoint(checkpoint, 'ignored');
  assert.equal(cp.asking, 'call_2_1');
}

test('SQLite: a checkpoint saved in agent_state moves into session_turns', async () => {
  const dir = makeTempDir('stint-migrate-');
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const raw = new Database(join(dir, 'stint.db'));
  legacyMigrateSqlite(raw, before74);
  raw.prepare(insertLegacy.replace('$1', '?')).run(legacyState);
  raw.close();
  const store = await openSqliteStore({ dataDir: dir });
  try {
    await checkMigrated(store);
  } finally {
    await store.close();
  }
});

test('PostgreSQL: a checkpoint saved in agent_state moves into session_turns', async () => {
  const database: TestDatabase = await createTestDatabase();
  cleanups.push(() => database.cleanup());
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    await legacyMigratePostgres(client, before74);
    await client.query(insertLegacy, [legacyState]);
  } finally {
    await client.end();
  }
  const store = await openPostgresStore({ url: database.url });
  try {
    await checkMigrated(store);
  } finally {
    await store.close();
  }
});
