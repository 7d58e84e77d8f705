/**
 * `stint worker` lifecycle on PostgreSQL: SIGTERM drains a worker (it exits 0 and releases its
 * leases, so another worker resumes its sessions at once, long before the leases would expire),
 * and a worker refuses to start without a shared PostgreSQL store.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { scriptPrompt } from '../support/git-fixtures.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { api, cliEntry, type StartedServer, startServer, waitUntil } from '../support/server.ts';
import { type StartedWorker, startWorker } from '../support/workers.ts';

const SCRIPT = {
  plan: ['Write', 'Wait', 'Write'],
  steps: [
    { write: { path: 'a.txt', content: 'A\n' } },
    { sleep: 4000 },
    { write: { path: 'b.txt', content: 'B\n' } },
  ],
};

let database: TestDatabase | undefined;
let db: pg.Pool | undefined;
let server: StartedServer | undefined;
const workers: StartedWorker[] = [];
let env: Record<string, string> = {};

before(async () => {
  database = await createTestDatabase();
  db = new pg.Pool({ connectionString: database.url, max: 2 });
  // Leases far longer than the test: only a drain can explain a prompt takeover.
  env = {
    STINT_DATABASE_URL: database.url,
    STINT_LEASE_MS: '600000',
    STINT_SECRET_KEY: randomBytes(32).toString('base64'),
  };
  server = await startServer({ args: ['--no-worker'], env });
  workers.push(await startWorker({ env }));
});

after(async () => {
  for (const w of workers) await w.cleanup();
  await server?.cleanup();
  await db?.end();
  await database?.cleanup();
});

test('SIGTERM drains a worker: it exits 0 and another worker resumes its sessions at once', {
  timeout: 90_000,
}, async () => {
  const ids: string[] = [];
  for (let i = 0; i < 4; i++) {
    const res = await api(server!, 'POST', '/sessions', { prompt: scriptPrompt(`drain ${i}`, SCRIPT) });
    assert.equal(res.status, 200);
    ids.push(res.body.id);
  }
  const first = workers[0]!;
  await waitUntil(async () => {
    const { rows } = await db!.query(
      'select id from sessions where lease_owner = $1 and activity_count >= 3 and id = any($2)',
      [first.id, ids],
    );
    return rows.length === ids.length;
  }, 30_000);
  const second = await startWorker({ env });
  workers.push(second);

  assert.equal(await first.stop(), 0, first.output());
  const held = await db!.query('select id from sessions where lease_owner = $1', [first.id]);
  assert.equal(held.rowCount, 0, 'the drained worker released every lease');

  await waitUntil(
    async () => {
      for (const id of ids) {
        const s = (await api(server!, 'GET', `/sessions/${id}`)).body;
        if (s.state === 'FAILED') throw new Error(`session ${id} failed`);
        if (s.state !== 'COMPLETED') return false;
      }
      return true;
    },
    60_000,
    100,
  );
  for (const id of ids) {
    const s = (await api(server!, 'GET', `/sessions/${id}`)).body;
    const patch: string = s.outputs[0].changeSet.gitPatch.unidiffPatch;
    assert.match(patch, /\+\+\+ b\/a\.txt/);
    assert.match(patch, /\+\+\+ b\/b\.txt/);
    const { rows } = await db!.query<{ owner: string }>(
      'select distinct lease_owner as owner from activities where session_id = $1 and seq > 3',
      [id],
    );
    assert.deepEqual(
      rows.map((r) => r.owner),
      [second.id],
      'finished by the other worker',
    );
  }
});

test('a worker needs a shared PostgreSQL store', () => {
  const env = { ...process.env };
  delete env.STINT_DATABASE_URL;
  const res = spawnSync(process.execPath, [cliEntry, 'worker', '--data-dir', '/tmp/stint-no-such-dir'], {
    env,
    encoding: 'utf8',
    timeout: 20_000,
  });
  assert.equal(res.status, 2, res.stderr);
  assert.match(res.stderr, /stint worker needs a shared PostgreSQL store: set STINT_DATABASE_URL/);
});
