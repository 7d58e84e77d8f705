/**
 * Oversize request bodies over real sockets on 127.0.0.1: every served route (API, admin, web,
 * health, unknown paths) with every method, the body declared with Content-Length, chunked, or
 * trickled slowly. Each time the client writes its whole body without a socket error, reads a
 * 413 with the Google error body naming the limit, and the connection then either serves another
 * request or was closed cleanly after the response.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { servedRoutes } from '../../src/api/route-list.ts';
import { startTestStint, type TestStint } from '../security/helpers.ts';
import { type BodyMode, exchange, RawConnection, type RawRequest } from '../support/raw-http.ts';

const LIMIT = 64 * 1024;
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const MODES: { name: string; mode: BodyMode; size: number; gapMs?: number; chunkBytes?: number }[] = [
  // Bigger than the socket buffers, so the server cannot just leave it unread in the kernel.
  { name: 'declared length', mode: 'length', size: 10 * LIMIT },
  { name: 'chunked', mode: 'chunked', size: 10 * LIMIT },
  { name: 'slow, declared length', mode: 'length', size: 2 * LIMIT, gapMs: 5, chunkBytes: 8 * 1024 },
  { name: 'slow, chunked', mode: 'chunked', size: 2 * LIMIT, gapMs: 5, chunkBytes: 8 * 1024 },
];

let t: TestStint;
let port: number;
let key: string;
let sessionId: string;

before(async () => {
  t = await startTestStint({ worker: true, env: { STINT_BODY_LIMIT_BYTES: String(LIMIT) } });
  const addr = t.stint.app.server.address();
  port = typeof addr === 'object' && addr ? addr.port : 0;
  key = await t.key('oversize', 'admin');
  const created = await t.call(key, 'POST', '/v1alpha/sessions', { prompt: 'hello' });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  sessionId = created.body.id;
});

after(async () => {
  await t?.close();
});

/** A concrete path for a Fastify route pattern (parameters filled with plausible values). */
function concrete(url: string): string {
  return url
    .replace(/:id|:sessionId/g, sessionId)
    .replace(/:[A-Za-z]+/g, 'x1')
    .replace(/\*/g, 'github/acme/widgets');
}

function paths(): string[] {
  const all = servedRoutes(t.stint.app).map((r) => concrete(r.url));
  return [...new Set([...all, '/no/such/route', '/v1alpha/no-such-collection'])].sort();
}

async function oneRequest(req: RawRequest, expect = 413): Promise<string | undefined> {
  const what = `${req.method} ${req.path} (${req.mode}, ${req.size} bytes${req.gapMs ? ', slow' : ''})`;
  const { res, failure, after } = await exchange(port, req);
  if (failure || !res) return `${what}: ${failure}`;
  if (res.status !== expect) return `${what}: status ${res.status} ${res.body.slice(0, 200)}`;
  let body: { error?: { code?: number; status?: string; message?: string } };
  try {
    body = JSON.parse(res.body);
  } catch {
    return `${what}: not JSON: ${res.body.slice(0, 200)}`;
  }
  const e = body.error;
  const ok =
    expect === 413
      ? e?.code === 413 &&
        ['RESOURCE_EXHAUSTED', 'INVALID_ARGUMENT'].includes(e.status ?? '') &&
        e.message?.includes(String(LIMIT))
      : e?.code === expect;
  if (!ok) return `${what}: error body ${res.body}`;
  return after === 'reused' || after === 'closed cleanly' ? undefined : `${what}: ${after}`;
}

async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

for (const m of MODES) {
  test(`every route and method with an oversize body (${m.name}) reads a 413 error`, async () => {
    const requests: RawRequest[] = [];
    for (const path of paths()) {
      for (const method of METHODS) {
        requests.push({
          method,
          path,
          size: m.size,
          mode: m.mode,
          ...(m.gapMs ? { gapMs: m.gapMs } : {}),
          ...(m.chunkBytes ? { chunkBytes: m.chunkBytes } : {}),
          headers: { 'content-type': 'application/json', 'x-goog-api-key': key },
        });
      }
    }
    assert.ok(requests.length > 100, `${requests.length} requests`);
    const problems: string[] = [];
    await pool(requests, 4, async (r) => {
      const p = await oneRequest(r);
      if (p) problems.push(p);
    });
    assert.deepEqual(problems.slice(0, 20), [], `${problems.length} of ${requests.length} failed`);
  });
}

test('any Content-Type or none: 413; without a valid key: 413 when declared, 401 when chunked', async () => {
  const problems: string[] = [];
  const paths = ['/v1alpha/sessions', `/v1alpha/sessions/${sessionId}:sendMessage`];
  for (const type of [undefined, 'text/plain', 'application/json', 'application/json; charset=utf-8']) {
    const auths: Record<string, string>[] = [{ 'x-goog-api-key': key }, {}, { authorization: 'Bearer nope' }];
    for (const auth of auths) {
      for (const mode of ['length', 'chunked'] as const) {
        for (const path of paths) {
          const headers: Record<string, string> = { ...auth, ...(type ? { 'content-type': type } : {}) };
          // A chunked body's size is known only by reading it, which an unauthenticated client does not get.
          const expect = mode === 'chunked' && !('x-goog-api-key' in auth) ? 401 : 413;
          const p = await oneRequest({ method: 'POST', path, size: 10 * LIMIT, mode, headers }, expect);
          if (p) problems.push(`${JSON.stringify(headers)} ${p}`);
        }
      }
    }
  }
  assert.deepEqual(problems, []);
});

test('a body just under the limit is still accepted (the check is not off by one)', async () => {
  const conn = await RawConnection.open(port);
  try {
    const reading = conn.response();
    await conn.send({
      method: 'POST',
      path: '/v1alpha/sessions',
      size: LIMIT,
      mode: 'chunked',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': key },
    });
    // Exactly at the limit: accepted by the size check (the prompt itself may then be refused as too long).
    const r = await reading;
    assert.notEqual(r.status, 413, r.body);
    assert.ok(r.status < 500, r.body);
  } finally {
    conn.close();
  }
});
