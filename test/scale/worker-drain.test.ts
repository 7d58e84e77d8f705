/**
 * `stint worker` lifecycle on PostgreSQL: SIGTERM drains a worker (it exits 0 and releases its
 * leases, so another worker resumes its sessions at once, long before the leases would expire),
 * and a worker refuses to start without a shared PostgreSQL store.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { scriptPrompt } from '../support/git-fixtures.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { api, cliEntry, type StartedServer, startServer, waitUntil } from '../support/server.ts';
import { type StartedWorker, startWorker } from '../support/workers.ts';

const SESSIONS = 4;
// Bounds on a busy machine, from the work: checking out and starting one session, finishing one.
const START_MS_PER_SESSION = 60_000;
const FINISH_MS_PER_SESSION = 30_000;

/**
 * Writes a.txt, runs a command, writes b.txt. The command blocks for as long as it runs in `blockedIn`
 * (the first worker's data dir) and returns at once anywhere else: the first worker can never get past
 * it, whatever the machine's speed, so the drain always lands mid-session, and only a resume by the
 * other worker can finish the sessions.
 */
function drainScript(blockedIn: string) {
  return {
    plan: ['Write', 'Wait', 'Write'],
    steps: [
      { write: { path: 'a.txt', content: 'A\n' } },
      { run: `case "$(pwd -P)" in '${blockedIn}'/*) exec sleep 3600;; esac; echo resumed` },
      { write: { path: 'b.txt', content: 'B\n' } },
    ],
  };
}

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
  // The two waits plus starting the second worker (its own bound: 300 s).
  timeout: (START_MS_PER_SESSION + FINISH_MS_PER_SESSION) * SESSIONS + 300_000,
}, async () => {
  const first = workers[0]!;
  const script = drainScript(realpathSync(first.dataDir));
  const ids: string[] = [];
  for (let i = 0; i < SESSIONS; i++) {
    const res = await api(server!, 'POST', '/sessions', { prompt: scriptPrompt(`drain ${i}`, script) });
    assert.equal(res.status, 200);
    ids.push(res.body.id);
  }
  // Every session has written a.txt (seq 3) under the first worker, which then sits in the command.
  const wroteA = async () =>
    (
      await db!.query<{ id: string; n: number }>(
        `select session_id as id, count(*)::int as n from activities
         where session_id = any($1) and lease_owner = $2 and kind = 'progressUpdated' group by session_id`,
        [ids, first.id],
      )
    ).rows;
  await waitUntil(
    async () => (await wroteA()).length === SESSIONS,
    // The wait ends as soon as the condition holds.
    START_MS_PER_SESSION * SESSIONS,
    100,
    async () => `${(await wroteA()).length}/${SESSIONS} sessions wrote a.txt on the first worker`,
  );
  const second = await startWorker({ env });
  workers.push(second);

  assert.equal(await first.stop(), 0, first.output());
  const held = await db!.query('select id from sessions where lease_owner = $1', [first.id]);
  assert.equal(held.rowCount, 0, 'the drained worker released every lease');
  // Where the drain caught each session, as the store recorded it: the first worker's last activity.
  const drainedAt = new Map<string, number>();
  for (const id of ids) {
    const { rows } = await db!.query<{ seq: number | null }>(
      'select max(seq)::int as seq from activities where session_id = $1 and lease_owner = $2',
      [id, first.id],
    );
    drainedAt.set(id, rows[0]!.seq ?? 0);
  }

  const completed = async () => {
    let n = 0;
    for (const id of ids) {
      const s = (await api(server!, 'GET', `/sessions/${id}`)).body;
      if (s.state === 'FAILED') throw new Error(`session ${id} failed: ${JSON.stringify(s)}`);
      if (s.state === 'COMPLETED') n++;
    }
    return n;
  };
  // The leases run 600 s: completing within this bound proves the second worker resumed at once.
  await waitUntil(
    async () => (await completed()) === SESSIONS,
    FINISH_MS_PER_SESSION * SESSIONS,
    100,
    async () => `${await completed()}/${SESSIONS} sessions completed after the drain`,
  );
  for (const id of ids) {
    const s = (await api(server!, 'GET', `/sessions/${id}`)).body;
    const patch: string = s.outputs[0].changeSet.gitPatch.unidiffPatch;
    assert.match(patch, /\+\+\+ b\/a\.txt/);
    assert.match(patch, /\+\+\+ b\/b\.txt/);
    const { rows } = await db!.query<{ seq: number; owner: string; kind: string; body: string }>(
      'select seq::int as seq, lease_owner as owner, kind, body::text as body from activities where session_id = $1 order by seq',
      [id],
    );
    const at = drainedAt.get(id)!;
    const seqs = rows.map((r) => r.seq);
    assert.deepEqual(
      seqs,
      seqs.map((_, k) => k + 1),
      `session ${id}: gap-free, duplicate-free seqs`,
    );
    assert.ok(at >= 3, `session ${id}: the first worker wrote a.txt (seq 3) before the drain, got ${at}`);
    assert.deepEqual(
      [...new Set(rows.filter((r) => r.seq <= at).map((r) => r.owner))],
      [first.id],
      `session ${id}: worked by the first worker up to seq ${at}`,
    );
    const after = rows.filter((r) => r.seq > at);
    assert.deepEqual(
      [...new Set(after.map((r) => r.owner))],
      [second.id],
      `session ${id}: finished by the other worker after the drain at seq ${at}`,
    );
    assert.ok(
      after.some((r) => r.body.includes('resumed')),
      `session ${id}: the interrupted command ran again on the other worker`,
    );
    assert.equal(after.at(-1)!.kind, 'sessionCompleted');
  }
});

test('a worker needs a shared PostgreSQL store', () => {
  const env = { ...process.env };
  delete env.STINT_DATABASE_URL;
  const res = spawnSync(process.execPath, [cliEntry, 'worker', '--data-dir', '/tmp/stint-no-such-dir'], {
    env,
    encoding: 'utf8',
    // Bounds a hang: starting Node on a busy machine can take many seconds.
    timeout: 120_000,
  });
  assert.equal(res.status, 2, res.stderr);
  assert.match(res.stderr, /stint worker needs a shared PostgreSQL store: set STINT_DATABASE_URL/);
});
