/**
 * Scale-out on a real PostgreSQL: one API process (`stint serve --no-worker`), three `stint worker`
 * processes with their own data dirs (as on separate machines), 60 scripted sessions. One worker is
 * SIGKILLed mid-run; every session still completes with gap-free, duplicate-free activities and the
 * files written before the crash, and the store shows each session was worked by one worker at a time.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { CRASH_SCRIPT_ACTIVITIES, crashScript, describeActivity } from '../support/activities.ts';
import { git, makeBareRepo, scriptPrompt } from '../support/git-fixtures.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { waitWhileProgressing } from '../support/progress.ts';
import { api, cliEntry, type StartedServer, startServer } from '../support/server.ts';
import { type StartedWorker, startWorker } from '../support/workers.ts';

const SESSIONS = 60;
const WORKERS = 3;
/**
 * The limits come from the work: what one scripted session (checkout, nine activities, a 2.7 s script, a
 * patch) may cost on a busy shared machine, times the sessions. They bound a hang; every wait ends as
 * soon as its condition holds, and a timeout says how far the run got. (Seen: 12 minutes for the whole
 * test at a load of 30 on 2 cores.)
 */
const MS_PER_SESSION = 15_000;
const WORK_MS = SESSIONS * MS_PER_SESSION;
/** No activity written by any of the sessions for this long means the run is stuck. */
const STALL_MS = 120_000;

let database: TestDatabase | undefined;
let db: pg.Pool | undefined;
let server: StartedServer | undefined;
const workers: StartedWorker[] = [];
let repo = '';
let env: Record<string, string> = {};

before(async () => {
  database = await createTestDatabase();
  db = new pg.Pool({ connectionString: database.url, max: 2 });
  // Every process of a deployment shares the key that encrypts secrets in the store.
  env = {
    STINT_DATABASE_URL: database.url,
    // The product default. A 3 s lease (heartbeat every 1 s) expired on a busy machine whenever a
    // worker was descheduled for 3 s: sessions bounced between workers and none got past its plan in
    // 8 minutes. The killed worker's sessions are taken over when its lease runs out, within 30 s.
    STINT_LEASE_MS: '30000',
    STINT_SECRET_KEY: randomBytes(32).toString('base64'),
  };
  repo = makeBareRepo();
  execFileSync(
    process.execPath,
    [cliEntry, 'sources', 'add', 'github/acme/widgets', '--git-url', repo, '--default-branch', 'main'],
    { env: { ...process.env, ...env }, stdio: 'pipe' },
  );
  server = await startServer({ args: ['--no-worker'], env });
  for (let i = 0; i < WORKERS; i++) workers.push(await startWorker({ env, args: ['--concurrency', '25'] }));
});

after(async () => {
  for (const w of workers) await w.cleanup();
  await server?.cleanup();
  await db?.end();
  await database?.cleanup();
  if (repo) rmSync(dirname(repo), { recursive: true, force: true });
});

test('60 sessions on three workers survive SIGKILL of one, each worked by one worker at a time', {
  // Creating, the wait for a victim, the wait for completion, and reading every session back.
  timeout: 3 * WORK_MS,
}, async (t) => {
  const srv = server!;
  const ids: string[] = [];
  for (let batch = 0; batch < SESSIONS; batch += 10) {
    const made = await Promise.all(
      Array.from({ length: 10 }, (_, j) => {
        const i = batch + j;
        const body: Record<string, unknown> = { prompt: scriptPrompt(`scale ${i}`, crashScript(2500, 200)) };
        if (i % 2 === 0) body.sourceContext = { source: 'sources/github/acme/widgets' };
        return api(srv, 'POST', '/sessions', body);
      }),
    );
    for (const res of made) {
      assert.equal(res.status, 200, JSON.stringify(res.body));
      ids.push(res.body.id);
    }
  }

  // Kill the worker holding the most sessions that wrote a.txt and are sleeping.
  const held = async () =>
    (
      await db!.query<{ owner: string; n: number }>(
        `select lease_owner as owner, count(*)::int as n from sessions
         where lease_owner is not null and activity_count >= 4 and state = 'IN_PROGRESS' group by lease_owner`,
      )
    ).rows;
  const progress = async () => {
    const { rows } = await db!.query<{ state: string; n: number }>(
      'select state, count(*)::int as n from sessions where id = any($1) group by state order by state',
      [ids],
    );
    const states = rows.map((r) => `${r.n} ${r.state}`).join(', ');
    const sleeping = (await held()).map((r) => `${r.n} on ${r.owner}`).join(', ');
    return `of ${SESSIONS} sessions: ${states}; sleeping after a.txt: ${sleeping || 'none'}`;
  };
  let victimRow: { owner: string; n: number } | undefined;
  const activities = async () =>
    (
      await db!.query<{ n: number }>('select count(*)::int as n from activities where session_id = any($1)', [
        ids,
      ])
    ).rows[0]!.n;
  await waitWhileProgressing({
    done: async () => {
      const rows = (await held()).sort((a, b) => b.n - a.n);
      victimRow = rows[0] && rows[0].n >= 3 ? rows[0] : undefined;
      return victimRow !== undefined;
    },
    progress: activities,
    stallMs: STALL_MS,
    describe: progress,
    intervalMs: 50,
  });
  assert.ok(victimRow);
  const owner = victimRow.owner;
  const victim = workers.find((w) => w.id === owner)!;
  assert.ok(victim, `lease owner ${owner} is one of our workers`);
  await victim.kill();

  // Every session completes: waited for by progress (activities written), so a slow machine is waited
  // for and a stuck run fails within STALL_MS, saying how far it got.
  await waitWhileProgressing({
    done: async () => {
      const { rows } = await db!.query<{ state: string; n: number }>(
        'select state, count(*)::int as n from sessions where id = any($1) group by state',
        [ids],
      );
      const failed = rows.find((r) => r.state === 'FAILED');
      if (failed) {
        const why = await db!.query<{ body: string }>(
          "select body from activities where kind = 'sessionFailed' and session_id = any($1) limit 1",
          [ids],
        );
        throw new Error(`${failed.n} sessions failed, e.g. ${why.rows[0]?.body}`);
      }
      return rows.length === 1 && rows[0]!.state === 'COMPLETED' && rows[0]!.n === SESSIONS;
    },
    progress: async () =>
      (
        await db!.query<{ n: number }>(
          'select count(*)::int as n from activities where session_id = any($1)',
          [ids],
        )
      ).rows[0]!.n,
    stallMs: STALL_MS,
    describe: progress,
  });

  // What clients see: every session's activities exactly once, in order, with both files in the patch.
  const head = git(repo, 'rev-parse', 'main').trim();
  await Promise.all(
    ids.map(async (id, i) => {
      const acts = (await api(srv, 'GET', `/sessions/${id}/activities?pageSize=100`)).body.activities;
      assert.deepEqual(acts.map(describeActivity), CRASH_SCRIPT_ACTIVITIES, `session ${id}`);
      assert.equal(new Set(acts.map((a: any) => a.id)).size, acts.length);
      for (let k = 1; k < acts.length; k++) assert.ok(acts[k].createTime > acts[k - 1].createTime);
      const s = (await api(srv, 'GET', `/sessions/${id}`)).body;
      assert.equal(s.state, 'COMPLETED');
      const patch: string = s.outputs[0].changeSet.gitPatch.unidiffPatch;
      assert.match(patch, /\+\+\+ b\/a\.txt\n@@ -0,0 \+1 @@\n\+A\n/, `session ${id}`);
      assert.match(patch, /\+\+\+ b\/b\.txt\n@@ -0,0 \+1 @@\n\+B\n/, `session ${id}`);
      if (i % 2 === 0) assert.equal(s.outputs[0].changeSet.gitPatch.baseCommitId, head);
    }),
  );

  // What the store shows: each activity names the lease it was written under.
  const { rows } = await db!.query<{ session_id: string; seq: number; owner: string | null; epoch: number }>(
    `select session_id, seq, lease_owner as owner, lease_epoch as epoch from activities
     where session_id = any($1) order by session_id, seq`,
    [ids],
  );
  const bySession = new Map<string, typeof rows>();
  for (const r of rows) bySession.set(r.session_id, [...(bySession.get(r.session_id) ?? []), r]);
  let takenOver = 0;
  for (const id of ids) {
    const acts = bySession.get(id)!;
    assert.deepEqual(
      acts.map((a) => Number(a.seq)),
      CRASH_SCRIPT_ACTIVITIES.map((_, k) => k + 1),
      `session ${id}: gap-free seqs`,
    );
    const ownerOfEpoch = new Map<number, string>();
    for (let k = 0; k < acts.length; k++) {
      const a = acts[k]!;
      assert.ok(a.owner, `session ${id} seq ${a.seq} was written by a worker holding its lease`);
      if (k > 0)
        assert.ok(Number(a.epoch) >= Number(acts[k - 1]!.epoch), `session ${id}: leases never interleave`);
      const known = ownerOfEpoch.get(Number(a.epoch));
      assert.ok(known === undefined || known === a.owner, `session ${id}: one owner per lease`);
      ownerOfEpoch.set(Number(a.epoch), a.owner);
    }
    // Sessions hop between workers legitimately (the scripted agent's first run ends after its plan);
    // the killed worker's sessions must have been finished by others, strictly after its last write.
    const lastByVictim = acts.map((a) => a.owner).lastIndexOf(victim.id);
    if (lastByVictim >= 0 && lastByVictim < acts.length - 1) {
      takenOver++;
      const victimEpoch = Number(acts[lastByVictim]!.epoch);
      for (const a of acts.slice(lastByVictim + 1)) {
        assert.notEqual(a.owner, victim.id);
        assert.ok(Number(a.epoch) > victimEpoch, `session ${id}: taken over under a newer lease`);
      }
    }
  }
  assert.ok(takenOver >= 1, 'sessions of the killed worker were resumed by the others');
  t.diagnostic(`${takenOver} sessions of the killed worker were finished by the others`);

  // The survivors drain on SIGTERM, exit 0 and leave no lease behind.
  for (const w of workers.filter((w) => w !== victim)) assert.equal(await w.stop(), 0, w.output());
  const leased = await db!.query('select id from sessions where lease_owner is not null');
  assert.equal(leased.rowCount, 0);
});
