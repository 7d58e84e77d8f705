/** Idempotency-Key: retried creates and custom methods run once; in-flight duplicates wait or get 409. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerApiKey } from '../../src/api/auth.ts';
import { registerErrorHandling } from '../../src/api/errors.ts';
import { registerIdempotency, requestFingerprint } from '../../src/api/idempotency.ts';
import type { SqlStore } from '../../src/store/sql/sql-store.ts';
import { openSqliteStore } from '../../src/store/sqlite/open.ts';
import { type InProcessServer, startInProcess } from '../support/in-process.ts';
import { api, waitUntil } from '../support/server.ts';

describe('Idempotency-Key over the API', () => {
  let server: InProcessServer;
  before(async () => {
    server = await startInProcess({ flags: { worker: false } });
  });
  after(async () => {
    await server?.close();
  });

  const count = async (key = server.apiKey) =>
    (await api({ baseUrl: server.baseUrl, apiKey: key }, 'GET', '/sessions?pageSize=100')).body.sessions
      .length;

  test('a create retried 10 times in parallel with one key yields one session', async () => {
    const before = await count();
    const body = { prompt: 'make exactly one', title: 'once' };
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        api(server, 'POST', '/sessions', body, { 'idempotency-key': 'create-1' }),
      ),
    );
    for (const r of results) assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(new Set(results.map((r) => r.body.id)).size, 1);
    assert.deepEqual(
      results.map((r) => r.body),
      Array(10).fill(results[0]!.body),
      'every retry answers the same response',
    );
    assert.equal(results.filter((r) => r.headers.get('idempotent-replayed') === 'true').length, 9);
    assert.equal(await count(), before + 1);
    // A later retry too.
    const late = await api(server, 'POST', '/sessions', body, { 'idempotency-key': 'create-1' });
    assert.equal(late.body.id, results[0]!.body.id);
    // Without a key, each POST creates.
    await api(server, 'POST', '/sessions', body);
    assert.equal(await count(), before + 2);
  });

  test('a key reused for a different request, or malformed, is INVALID_ARGUMENT; a rejected body does not use it', async () => {
    await api(server, 'POST', '/sessions', { prompt: 'a' }, { 'idempotency-key': 'reuse' });
    const other = await api(server, 'POST', '/sessions', { prompt: 'b' }, { 'idempotency-key': 'reuse' });
    assert.equal(other.status, 400);
    assert.equal(other.body.error.status, 'INVALID_ARGUMENT');
    assert.match(other.body.error.message, /Idempotency-Key/);
    const long = await api(
      server,
      'POST',
      '/sessions',
      { prompt: 'a' },
      { 'idempotency-key': 'x'.repeat(256) },
    );
    assert.equal(long.status, 400);
    const invalid = await api(
      server,
      'POST',
      '/sessions',
      { title: 'no prompt' },
      { 'idempotency-key': 'fresh' },
    );
    assert.equal(invalid.status, 400);
    const valid = await api(
      server,
      'POST',
      '/sessions',
      { prompt: 'now valid' },
      { 'idempotency-key': 'fresh' },
    );
    assert.equal(valid.status, 200, 'the key was not consumed by the rejected body');
  });

  test('doubled slashes reach the same route and the same Idempotency-Key check', async () => {
    const origin = server.baseUrl.replace(/\/v1alpha$/, '');
    const body = { prompt: 'slashes', title: 'slashes' };
    const before = await count();
    const ids: string[] = [];
    for (const path of [
      '/v1alpha/sessions',
      '//v1alpha/sessions',
      '/v1alpha//sessions',
      '//v1alpha//sessions/',
    ]) {
      const r = await api({ baseUrl: origin, apiKey: server.apiKey }, 'POST', path, body, {
        'idempotency-key': 'slashes-1',
      });
      assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.body)}`);
      ids.push(r.body.id);
      if (ids.length > 1) assert.equal(r.headers.get('idempotent-replayed'), 'true', path);
    }
    assert.equal(new Set(ids).size, 1, 'every spelling of the path replays the first answer');
    assert.equal(await count(), before + 1);
    const other = await api(
      { baseUrl: origin, apiKey: server.apiKey },
      'POST',
      '//v1alpha/sessions',
      { prompt: 'different' },
      { 'idempotency-key': 'slashes-1' },
    );
    assert.equal(other.status, 400, 'a different body under the same key is refused, slashes or not');
  });

  test('keys are scoped per tenant', async () => {
    const otherKey = 'other-tenant-key-0123456789';
    await registerApiKey(server.stint.store, otherKey, {
      name: 'other',
      role: 'member',
      tenantId: 'other-tenant',
    });
    const mine = await api(server, 'POST', '/sessions', { prompt: 'same' }, { 'idempotency-key': 'shared' });
    const theirs = await api(
      { baseUrl: server.baseUrl, apiKey: otherKey },
      'POST',
      '/sessions',
      { prompt: 'same' },
      { 'idempotency-key': 'shared' },
    );
    assert.equal(theirs.status, 200);
    assert.notEqual(theirs.body.id, mine.body.id);
    assert.equal(theirs.headers.get('idempotent-replayed'), null);
  });

  test('a retried sendMessage records one message', async () => {
    const s = (await api(server, 'POST', '/sessions', { prompt: 'talk' })).body;
    const send = () =>
      api(
        server,
        'POST',
        `/sessions/${s.id}:sendMessage`,
        { prompt: 'only once' },
        { 'idempotency-key': 'msg-1' },
      );
    const rs = await Promise.all([send(), send(), send()]);
    for (const r of rs) assert.equal(r.status, 200);
    const acts = (await api(server, 'GET', `/sessions/${s.id}/activities`)).body.activities;
    assert.equal(acts.filter((a: any) => a.userMessaged?.userMessage === 'only once').length, 1);
    // An error response is replayed too (the first answer is the answer).
    const gone = () => api(server, 'POST', '/sessions/123:cancel', {}, { 'idempotency-key': 'err-1' });
    const [e1, e2] = [await gone(), await gone()];
    assert.equal(e1.status, 404);
    assert.deepEqual(e2.body, e1.body);
    assert.equal(e2.headers.get('idempotent-replayed'), 'true');
  });
});

describe('Idempotency-Key mechanics', () => {
  let store: SqlStore;
  let app: FastifyInstance;
  let release: (() => void) | undefined;
  let calls = 0;

  /** An app on the shared store; `ttlMs` far longer than a test keeps expiry out of the replay checks. */
  async function makeApp(ttlMs: number): Promise<FastifyInstance> {
    const a = Fastify();
    registerErrorHandling(a);
    a.addHook('onRequest', async (req) => {
      req.principal = { tenantId: 't', keyId: 'k', role: 'admin' };
    });
    registerIdempotency(a, { store: store.idempotency, ttlMs, lockMs: 60_000, waitMs: 200 });
    a.post('/v1alpha/slow', async () => {
      calls++;
      await new Promise<void>((r) => {
        release = r;
      });
      return { n: calls };
    });
    a.post('/v1alpha/boom', async () => {
      calls++;
      throw new Error('boom');
    });
    a.post('/v1alpha/ok', async () => ({ n: ++calls }));
    await a.ready();
    return a;
  }

  before(async () => {
    store = await openSqliteStore({ dataDir: ':memory:' });
    app = await makeApp(3_600_000);
  });
  after(async () => {
    await app.close();
    await store.close();
  });

  const post = (url: string, key: string, on = app) =>
    on.inject({
      method: 'POST',
      url,
      headers: { 'idempotency-key': key, 'content-type': 'application/json' },
      payload: '{}',
    });

  test('a duplicate of a request still running gets 409 ABORTED after waiting', async () => {
    calls = 0;
    const firstDone = post('/v1alpha/slow', 'k1');
    // The duplicate is sent once the first request is inside its handler (holding the key).
    await waitUntil(() => release !== undefined, 60_000, 10);
    const dup = await post('/v1alpha/slow', 'k1');
    assert.equal(dup.statusCode, 409);
    assert.equal(dup.json().error.status, 'ABORTED');
    release!();
    assert.equal((await firstDone).statusCode, 200);
    const replay = await post('/v1alpha/slow', 'k1');
    assert.deepEqual(replay.json(), { n: 1 });
    assert.equal(calls, 1);
  });

  test('a 5xx frees the key; keys expire', async () => {
    calls = 0;
    assert.equal((await post('/v1alpha/boom', 'k2')).statusCode, 500);
    assert.equal((await post('/v1alpha/boom', 'k2')).statusCode, 500);
    assert.equal(calls, 2, 'the retry ran again');
    const first = (await post('/v1alpha/ok', 'k3')).json();
    assert.deepEqual((await post('/v1alpha/ok', 'k3')).json(), first);
    // Expiry, on an app keeping keys for 1 ms: once that has passed, the same request runs again.
    const short = await makeApp(1);
    try {
      const once = (await post('/v1alpha/ok', 'k4', short)).json();
      await new Promise((r) => setTimeout(r, 5));
      assert.notDeepEqual((await post('/v1alpha/ok', 'k4', short)).json(), once, 'expired: runs again');
      assert.deepEqual((await post('/v1alpha/ok', 'k3')).json(), first, 'the long-lived key still replays');
    } finally {
      await short.close();
    }
    assert.ok((await store.idempotency.purgeExpired()) >= 0);
  });

  test('a reservation whose request died is taken over after its lock', async () => {
    const fp = requestFingerprint('POST', '/v1alpha/ok', {});
    assert.deepEqual(
      await store.idempotency.reserve({
        tenantId: 't',
        key: 'dead',
        fingerprint: fp,
        lockMs: 1,
        ttlMs: 60_000,
      }),
      {
        reserved: true,
      },
    );
    await new Promise((r) => setTimeout(r, 5));
    const res = await post('/v1alpha/ok', 'dead');
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['idempotent-replayed'], undefined);
  });
});
