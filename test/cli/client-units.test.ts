/** The client's pure parts and its HTTP retry rules, without a Stint server. */
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { sessionId } from '../../src/cli/client/command-kit.ts';
import { diffStat } from '../../src/cli/client/diff.ts';
import { ApiError, HttpClient } from '../../src/cli/client/http-client.ts';
import { renderActivity } from '../../src/cli/client/render-activity.ts';
import { normalizeOrigin, resolveConnection } from '../../src/cli/client/settings.ts';
import { makeStyle } from '../../src/cli/client/terminal.ts';
import { makeTempDir } from '../support/server.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('--server takes an origin, with or without scheme or /v1alpha', () => {
  assert.equal(normalizeOrigin('http://127.0.0.1:8080'), 'http://127.0.0.1:8080');
  assert.equal(normalizeOrigin('http://127.0.0.1:8080/v1alpha/'), 'http://127.0.0.1:8080');
  assert.equal(normalizeOrigin('localhost:9000'), 'http://localhost:9000');
  assert.equal(normalizeOrigin('https://stint.example.com/'), 'https://stint.example.com');
  assert.throws(() => normalizeOrigin('ftp://x'), /http/);
  assert.throws(() => normalizeOrigin('http://user:pw@x'), /without credentials/);
});

test('session ids come bare, as names or as URLs', () => {
  assert.equal(sessionId('123'), '123');
  assert.equal(sessionId('sessions/123'), '123');
  assert.equal(sessionId('http://127.0.0.1:8080/sessions/123'), '123');
  assert.throws(() => sessionId('../etc'), /not a session id/);
});

test('flags beat the environment, which beats the login config; keys are per server', () => {
  const xdg = makeTempDir('stint-units-');
  dirs.push(xdg);
  mkdirSync(join(xdg, 'stint'));
  const file = { server: 'http://saved:1', keys: { 'http://saved:1': 'k1', 'http://other:2': 'k2' } };
  writeFileSync(join(xdg, 'stint', 'config.json'), JSON.stringify(file), { mode: 0o600 });
  const env = { XDG_CONFIG_HOME: xdg };
  assert.deepEqual(resolveConnection({}, env), {
    origin: 'http://saved:1',
    apiKey: 'k1',
    keySource: 'config',
  });
  assert.equal(resolveConnection({}, { ...env, STINT_SERVER: 'http://other:2' }).apiKey, 'k2');
  assert.equal(
    resolveConnection({ server: 'http://third:3' }, { ...env, STINT_SERVER: 'http://other:2' }).apiKey,
    undefined,
  );
  assert.equal(resolveConnection({}, { ...env, STINT_API_KEY: 'env' }).apiKey, 'env');
  assert.equal(resolveConnection({}, { XDG_CONFIG_HOME: join(xdg, 'none') }).origin, 'http://127.0.0.1:8080');
});

test('diff summary and a plan rendered as a list', () => {
  const patch = [
    'diff --git a/a.txt b/a.txt',
    'index 1..2 100644',
    '--- a/a.txt',
    '+++ b/a.txt',
    '@@ -1,2 +1,2 @@',
    '-old',
    '+new',
    ' same',
    'diff --git a/b.bin b/b.bin',
    'new file mode 100644',
    'GIT binary patch',
    '',
  ].join('\n');
  assert.deepEqual(diffStat(patch), [
    { path: 'a.txt', status: 'M', added: 1, removed: 1, binary: false },
    { path: 'b.bin', status: 'A', added: 0, removed: 0, binary: true },
  ]);
  const lines = renderActivity(
    {
      name: 'sessions/1/activities/a',
      id: 'a',
      createTime: '2026-01-01T00:00:00.000000Z',
      planGenerated: {
        plan: {
          steps: [
            { title: 'Second', index: 1 },
            { title: 'First', index: 0 },
          ],
        },
      },
    },
    { style: makeStyle(false), diffLines: 0, detailLines: 5 },
  );
  assert.match(lines[0]!, /Plan \(2 steps\):$/);
  assert.deepEqual(
    lines.slice(1).map((l) => l.trim()),
    ['1. First', '2. Second'],
  );
});

test('reads retry 429 (Retry-After) and 503; writes retry only 429/503, never a 500', async () => {
  const seen: string[] = [];
  const replies = new Map<string, number[]>([
    ['GET /v1alpha/a', [429, 503, 200]],
    ['POST /v1alpha/b', [500, 200]],
  ]);
  const srv = createServer((req, res) => {
    const key = `${req.method} ${req.url}`;
    seen.push(key);
    const status = replies.get(key)?.shift() ?? 404;
    res.writeHead(status, {
      'content-type': 'application/json',
      ...(status === 429 ? { 'retry-after': '0' } : {}),
    });
    res.end(
      status === 200
        ? '{"ok":true}'
        : JSON.stringify({ error: { code: status, message: `no (${status})`, status: 'X' } }),
    );
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  try {
    const addr = srv.address() as { port: number };
    const client = new HttpClient({
      origin: `http://127.0.0.1:${addr.port}`,
      apiKey: 'k',
      retryForMs: 10_000,
    });
    assert.deepEqual(await client.request('GET', '/a'), { ok: true });
    await assert.rejects(client.request('POST', '/b', { body: {} }), (e) => {
      assert.ok(e instanceof ApiError);
      assert.equal(e.httpStatus, 500);
      assert.equal(e.exitCode, 5);
      assert.match(e.message, /no \(500\)/);
      return true;
    });
    assert.deepEqual(seen, ['GET /v1alpha/a', 'GET /v1alpha/a', 'GET /v1alpha/a', 'POST /v1alpha/b']);
  } finally {
    srv.closeAllConnections();
    srv.close();
  }
});
