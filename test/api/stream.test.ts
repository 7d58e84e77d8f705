/**
 * Live activity streams (SSE): a client that disconnects mid-session and reconnects with
 * Last-Event-ID, also across a server crash and restart, receives every activity exactly once, in
 * order, exactly as GET returns it; heartbeats; the stream ends after the terminal activity and a
 * follow-up message re-opens it. Plus the server-wide session stream.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { scriptPrompt } from '../support/git-fixtures.ts';
import { api, makeTempDir, type StartedServer, startServer, waitUntil } from '../support/server.ts';
import { readSse } from '../support/sse.ts';

const SCRIPT = {
  plan: ['Talk slowly'],
  steps: [
    { message: 'm1' },
    { sleep: 300 },
    { message: 'm2' },
    { sleep: 300 },
    { message: 'm3' },
    { sleep: 1500 },
    { message: 'm4' },
    { sleep: 300 },
    { message: 'm5' },
  ],
};

async function allActivities(server: StartedServer, id: string): Promise<any[]> {
  const res = await api(server, 'GET', `/sessions/${id}/activities?pageSize=100`);
  assert.equal(res.status, 200);
  return res.body.activities;
}

describe('activity stream', () => {
  const servers: StartedServer[] = [];
  after(async () => {
    for (const s of servers) await s.cleanup();
  });

  test('resumes with Last-Event-ID across disconnects and a server restart; every activity exactly once', async () => {
    const dataDir = makeTempDir();
    const env = { STINT_SSE_HEARTBEAT_MS: '200' };
    const first = await startServer({ dataDir, keepDataDir: true, env });
    servers.push(first);
    const created = await api(first, 'POST', '/sessions', { prompt: scriptPrompt('stream me', SCRIPT) });
    const id = created.body.id as string;
    const url = (s: StartedServer) => `${s.baseUrl}/sessions/${id}/activities:stream`;

    // 1. Read the first three activities, then disconnect.
    const r1 = await readSse(url(first), { apiKey: first.apiKey, until: (r) => r.events.length >= 3 });
    assert.equal(r1.status, 200);
    assert.equal(r1.events.length, 3);
    // 2. Reconnect after the last one seen, read two more, disconnect.
    const r2 = await readSse(url(first), {
      apiKey: first.apiKey,
      lastEventId: r1.events.at(-1)!.id!,
      until: (r) => r.events.length >= 2,
    });
    assert.equal(r2.events.length, 2);
    // 3. The server dies (SIGKILL) mid-session and comes back on the same data dir.
    await first.kill();
    const second = await startServer({ dataDir, apiKey: first.apiKey, env });
    servers.push(second);
    const r3 = await readSse(url(second), {
      apiKey: second.apiKey,
      lastEventId: r2.events.at(-1)!.id!,
      timeoutMs: 120_000,
    });
    assert.equal(r3.ended, true, 'the stream ends after the terminal activity');

    const streamed = [...r1.events, ...r2.events, ...r3.events];
    const listed = await allActivities(second, id);
    assert.equal(JSON.parse(streamed.at(-1)!.data).sessionCompleted !== undefined, true);
    assert.deepEqual(
      streamed.map((e) => e.id),
      listed.map((a) => a.id),
      'every activity exactly once, in order',
    );
    for (let i = 0; i < listed.length; i++) assert.deepEqual(JSON.parse(streamed[i]!.data), listed[i]);
    assert.deepEqual(
      listed.filter((a) => a.agentMessaged).map((a) => a.agentMessaged.agentMessage),
      ['m1', 'm2', 'm3', 'm4', 'm5'],
    );

    // After the end: resuming from the terminal activity answers 204 (EventSource stops reconnecting).
    const done = await readSse(url(second), { apiKey: second.apiKey, lastEventId: listed.at(-1).id });
    assert.equal(done.status, 204);

    // A follow-up message re-opens the session: the stream continues from where it ended.
    assert.equal(
      (await api(second, 'POST', `/sessions/${id}:sendMessage`, { prompt: 'one more' })).status,
      200,
    );
    const r4 = await readSse(url(second), {
      apiKey: second.apiKey,
      lastEventId: listed.at(-1).id,
      timeoutMs: 120_000,
    });
    assert.equal(r4.ended, true);
    const more = r4.events.map((e) => JSON.parse(e.data));
    assert.equal(more[0].userMessaged.userMessage, 'one more');
    assert.ok(more.at(-1).sessionCompleted);
    assert.deepEqual(
      [...streamed, ...r4.events].map((e) => e.id),
      (await allActivities(second, id)).map((a) => a.id),
    );
  });

  test('heartbeats keep an idle stream alive while the session waits for plan approval', async () => {
    // Decided by the session's state, not by a sleep racing the machine: the session waits until approved.
    const server = await startServer({ env: { STINT_SSE_HEARTBEAT_MS: '100' } });
    servers.push(server);
    const created = await api(server, 'POST', '/sessions', {
      prompt: scriptPrompt('wait for me', { plan: ['One step'], steps: [{ message: 'done' }] }),
      requirePlanApproval: true,
    });
    const id = created.body.id as string;
    const url = `${server.baseUrl}/sessions/${id}/activities:stream`;
    await waitUntil(
      async () => (await api(server, 'GET', `/sessions/${id}`)).body.state === 'AWAITING_PLAN_APPROVAL',
    );
    const idle = await readSse(url, { apiKey: server.apiKey, until: (r) => r.comments.length >= 2 });
    assert.equal(idle.status, 200);
    assert.ok(idle.comments.length >= 2, 'two heartbeats while nothing happens');
    assert.equal(idle.ended, false, 'a waiting session does not end its stream');
    const approved = await api(server, 'POST', `/sessions/${id}:approvePlan`, {});
    assert.equal(approved.status, 200);
    const rest = await readSse(url, { apiKey: server.apiKey, lastEventId: idle.events.at(-1)?.id });
    assert.equal(rest.ended, true, 'the stream ends after the terminal activity');
    assert.ok(rest.events.some((e) => JSON.parse(e.data).sessionCompleted !== undefined));
  });

  test('errors: unknown session 404, unknown Last-Event-ID 400, no key 401', async () => {
    const server = await startServer();
    servers.push(server);
    const created = await api(server, 'POST', '/sessions', { prompt: 'hello' });
    const id = created.body.id;
    const missing = await readSse(`${server.baseUrl}/sessions/999/activities:stream`, {
      apiKey: server.apiKey,
    });
    assert.equal(missing.status, 404);
    const bad = await readSse(`${server.baseUrl}/sessions/${id}/activities:stream`, {
      apiKey: server.apiKey,
      lastEventId: 'nope',
    });
    assert.equal(bad.status, 400);
    const anon = await fetch(`${server.baseUrl}/sessions/${id}/activities:stream`);
    assert.equal(anon.status, 401);
    await anon.body?.cancel();

    // The server-wide session stream shows the tenant's sessions as they change, and resumes.
    const feedUrl = `${server.baseUrl}/sessions:stream`;
    const r1 = await readSse(feedUrl, {
      apiKey: server.apiKey,
      until: (r) => r.events.some((e) => JSON.parse(e.data).state === 'COMPLETED'),
      timeoutMs: 120_000,
    });
    const seen = r1.events.map((e) => JSON.parse(e.data));
    assert.ok(seen.every((s) => s.id === id && s.name === `sessions/${id}`));
    const cursor = r1.events.at(-1)!.id!;
    const next = await api(server, 'POST', '/sessions', {
      prompt: scriptPrompt('next', { plan: ['x'], steps: [] }),
    });
    const r2 = await readSse(feedUrl, {
      apiKey: server.apiKey,
      lastEventId: cursor,
      until: (r) => r.events.some((e) => JSON.parse(e.data).state === 'COMPLETED'),
      timeoutMs: 120_000,
    });
    const later = r2.events.map((e) => JSON.parse(e.data));
    assert.ok(later.length > 0);
    assert.ok(
      later.every((s) => s.id === next.body.id),
      `only changes after the cursor: ${JSON.stringify(later.map((s) => [s.id, s.state]))}`,
    );
    // Streams whose clients went away are closed on the server too.
    await waitUntil(async () => {
      const res = await fetch(`${server.origin}/metrics`, { headers: { 'x-goog-api-key': server.apiKey } });
      return /^stint_sse_streams 0$/m.test(await res.text());
    });
  });
});

describe('activity stream page boundaries', () => {
  test('ends when the terminal activity is the last of a full page (100 and 200 activities to send)', async () => {
    const server = await startServer();
    try {
      const steps = Array.from({ length: 205 }, (_, i) => ({ message: `m${i}` }));
      const created = await api(server, 'POST', '/sessions', {
        prompt: scriptPrompt('many', { plan: ['Talk a lot'], steps }),
      });
      const id = created.body.id as string;
      await waitUntil(async () => {
        const s = await api(server, 'GET', `/sessions/${id}`);
        return s.body.state === 'COMPLETED';
      }, 120_000);
      const listed: any[] = [];
      let token: string | undefined;
      do {
        const q = token ? `&pageToken=${encodeURIComponent(token)}` : '';
        const res = await api(server, 'GET', `/sessions/${id}/activities?pageSize=100${q}`);
        listed.push(...res.body.activities);
        token = res.body.nextPageToken;
      } while (token);
      assert.ok(listed.at(-1).sessionCompleted, 'the last activity is terminal');
      assert.ok(listed.length > 201);
      for (const remaining of [100, 200]) {
        const r = await readSse(`${server.baseUrl}/sessions/${id}/activities:stream`, {
          apiKey: server.apiKey,
          lastEventId: listed[listed.length - remaining - 1].id,
          timeoutMs: 60_000,
        });
        assert.equal(r.events.length, remaining);
        assert.equal(r.ended, true, `the stream ends after the terminal activity (${remaining} to send)`);
      }
    } finally {
      await server.cleanup();
    }
  });
});
