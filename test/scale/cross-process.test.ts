/**
 * What crosses process boundaries on PostgreSQL: an API process (`stint serve --no-worker`) streams
 * activities a worker process writes (the store's NOTIFY wakes the stream; its own poll is set
 * far beyond the test's bounds), and a cancel in the API process stops the agent in the worker
 * (which otherwise would sleep on, holding its lease, long after the bounds).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { scriptPrompt } from '../support/git-fixtures.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { api, type StartedServer, startServer, waitUntil } from '../support/server.ts';
import { type StartedWorker, startWorker } from '../support/workers.ts';

let database: TestDatabase | undefined;
let db: pg.Pool | undefined;
let server: StartedServer | undefined;
let worker: StartedWorker | undefined;

before(async () => {
  database = await createTestDatabase();
  db = new pg.Pool({ connectionString: database.url, max: 2 });
  const env = {
    STINT_DATABASE_URL: database.url,
    STINT_SECRET_KEY: randomBytes(32).toString('base64'),
    STINT_STREAM_POLL_MS: '60000',
  };
  server = await startServer({ args: ['--no-worker'], env });
  worker = await startWorker({ env });
});

after(async () => {
  await worker?.cleanup();
  await server?.cleanup();
  await db?.end();
  await database?.cleanup();
});

/** Reads an SSE response until `stop` says so; returns each event's parsed data. */
async function readEvents(res: Response, stop: (data: any) => boolean): Promise<any[]> {
  const events: any[] = [];
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return events;
      buffer += value;
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).trimStart())
          .join('\n');
        if (!data) continue;
        const parsed = JSON.parse(data);
        events.push(parsed);
        if (stop(parsed)) return events;
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

// Bounds a wait so a hang fails; on a busy machine each wait ends as soon as its condition holds.
const HANG_MS = 120_000;

test('an API process streams the activities a worker process writes, as they are written', {
  timeout: 3 * HANG_MS,
}, async () => {
  const script = {
    plan: ['Talk'],
    steps: [{ message: 'm1' }, { sleep: 300 }, { message: 'm2' }, { sleep: 300 }, { message: 'm3' }],
  };
  const created = await api(server!, 'POST', '/sessions', { prompt: scriptPrompt('live', script) });
  assert.equal(created.status, 200);
  const id = created.body.id;
  const res = await fetch(`${server!.baseUrl}/sessions/${id}/activities:stream`, {
    headers: { 'x-goog-api-key': server!.apiKey, accept: 'text/event-stream' },
    signal: AbortSignal.timeout(HANG_MS),
  });
  assert.equal(res.status, 200);
  const events = await readEvents(res, (a) => 'sessionCompleted' in a);
  const listed = (await api(server!, 'GET', `/sessions/${id}/activities?pageSize=100`)).body.activities;
  assert.deepEqual(
    events.map((a) => a.id),
    listed.map((a: any) => a.id),
    'every activity once, in order',
  );
  assert.deepEqual(
    events.filter((a) => a.agentMessaged).map((a) => a.agentMessaged.agentMessage),
    ['m1', 'm2', 'm3'],
  );
});

test('cancelling in the API process stops the agent in the worker process', {
  timeout: 3 * HANG_MS,
}, async () => {
  // An hour's sleep: the worker letting go within the test's bounds proves the cancel reached it.
  const script = {
    plan: ['Wait'],
    steps: [{ message: 'waiting' }, { sleep: 3_600_000 }, { message: 'too late' }],
  };
  const created = await api(server!, 'POST', '/sessions', { prompt: scriptPrompt('cancel', script) });
  const id = created.body.id;
  await waitUntil(async () => {
    const { rows } = await db!.query(
      'select 1 from sessions where id = $1 and lease_owner = $2 and activity_count >= 3',
      [id, worker!.id],
    );
    return rows.length === 1;
  }, HANG_MS);
  const cancelled = await api(server!, 'POST', `/sessions/${id}:cancel`, {});
  assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
  // The worker lets go of the session long before its hour-long sleep (or its lease) would end.
  await waitUntil(async () => {
    const { rows } = await db!.query('select lease_owner from sessions where id = $1', [id]);
    return rows[0]?.lease_owner === null;
  }, HANG_MS);
  const acts = (await api(server!, 'GET', `/sessions/${id}/activities?pageSize=100`)).body.activities;
  assert.equal(acts.at(-1).sessionFailed?.reason, 'cancelled');
  assert.equal((await api(server!, 'GET', `/sessions/${id}`)).body.state, 'FAILED');
});
