/** `stint serve` as an operator sees it: first start, keys, health, graceful shutdown. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { after, test } from 'node:test';
import { api, cliEntry, makeTempDir, startServer } from '../support/server.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('first start prints an admin key once; keys create adds working keys; SIGTERM exits 0', async () => {
  const dataDir = makeTempDir();
  dirs.push(dataDir);
  const env = { STINT_API_KEY: '' };
  const first = await startServer({ dataDir, env, keepDataDir: true });
  const m = /admin API key[^:]*: (stint_\S+)/.exec(first.output());
  assert.ok(m, first.output());
  const adminKey = m[1]!;
  assert.match(first.output(), /Agent: scripted/);
  const ok = await api({ baseUrl: first.baseUrl, apiKey: adminKey }, 'GET', '/sessions');
  assert.equal(ok.status, 200);
  assert.equal((await fetch(`${first.origin}/healthz`)).status, 200);
  assert.equal(await first.stop(), 0);

  const created = execFileSync(
    process.execPath,
    [cliEntry, 'keys', 'create', '--name', 'ci', '--data-dir', dataDir],
    {
      encoding: 'utf8',
    },
  ).trim();
  assert.match(created, /^stint_[A-Za-z0-9_-]{20,}$/);
  const listing = execFileSync(process.execPath, [cliEntry, 'keys', 'list', '--data-dir', dataDir], {
    encoding: 'utf8',
  });
  assert.ok(!listing.includes(created), 'keys list never shows a key');
  assert.ok(!listing.includes(adminKey));

  const second = await startServer({ dataDir, env, keepDataDir: true });
  assert.doesNotMatch(second.output(), /admin API key/, 'the admin key is shown on the first start only');
  assert.equal((await api({ baseUrl: second.baseUrl, apiKey: created }, 'GET', '/sessions')).status, 200);
  assert.equal((await api({ baseUrl: second.baseUrl, apiKey: adminKey }, 'GET', '/sessions')).status, 200);
  assert.equal(await second.stop(), 0);
});

test('a bad configuration fails before listening with one line', () => {
  const dataDir = makeTempDir();
  dirs.push(dataDir);
  let failed: { status: number; stderr: string } | undefined;
  try {
    execFileSync(process.execPath, [cliEntry, 'serve', '--port', 'eighty', '--data-dir', dataDir], {
      encoding: 'utf8',
      stdio: 'pipe',
    });
  } catch (e) {
    failed = e as { status: number; stderr: string };
  }
  assert.ok(failed);
  assert.notEqual(failed.status, 0);
  assert.equal(failed.stderr.trim().split('\n').length, 1, failed.stderr);
  assert.match(failed.stderr, /--port/);
});
