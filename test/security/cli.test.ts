/** The operator's side: `stint tenants`, `keys --tenant`, `secrets`, `audit`, and the sandbox choice at start. */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { probeBubblewrap } from '../../src/sandbox/bubblewrap/probe.ts';
import { api, cliEntry, makeTempDir, startServer, waitUntil } from '../support/server.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const tmp = () => {
  const d = makeTempDir('stint-seccli-');
  dirs.push(d);
  return d;
};

// A CLI run can take a minute on a busy shared machine (Node starts slowly there): the per-call bound
// fails a hang, and a test's limit is its number of runs times that minute.
const CLI_HANG_MS = 200_000;
const CLI_BUSY_MS = 60_000;

function stint(dataDir: string, args: string[], input?: string) {
  const r = spawnSync(process.execPath, [cliEntry, ...args, '--data-dir', dataDir], {
    encoding: 'utf8',
    input,
    env: { ...process.env, STINT_LOG_LEVEL: 'error' },
    timeout: CLI_HANG_MS,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('tenants, tenant keys, secrets and the audit trail from the CLI', {
  timeout: 14 * CLI_BUSY_MS,
}, async () => {
  const dir = tmp();
  assert.equal(
    stint(dir, ['tenants', 'create', 'acme', '--name', 'Acme', '--max-working-sessions', '2']).code,
    0,
  );
  const dup = stint(dir, ['tenants', 'create', 'acme']);
  assert.notEqual(dup.code, 0);
  assert.match(dup.err, /already exists/);
  assert.match(stint(dir, ['tenants', 'create', '../bad']).err, /tenant id must be/);

  const typo = stint(dir, ['keys', 'create', '--tenant', 'acne']);
  assert.notEqual(typo.code, 0);
  assert.match(typo.err, /no tenant 'acne'; create it with: stint tenants create acne/);
  const created = stint(dir, ['keys', 'create', '--tenant', 'acme', '--name', 'ci', '--rate-limit', '120']);
  assert.equal(created.code, 0, created.err);
  const key = created.out.trim();
  assert.match(key, /^stint_/);
  assert.match(stint(dir, ['keys', 'list', '--tenant', 'acme']).out, /\tacme\tmember\tactive\t.*\tci\n/);
  assert.equal(stint(dir, ['tenants', 'update', 'acme', '--rate-limit', 'default']).code, 0);
  const listing = stint(dir, ['tenants', 'list']).out;
  assert.match(listing, /^acme\tAcme\t2\tdefault\t1\t/m);

  const set = stint(dir, ['secrets', 'set', 'NPM_TOKEN', '--tenant', 'acme'], 'npm_secret_value_123\n');
  assert.equal(set.code, 0, set.err);
  assert.match(stint(dir, ['secrets', 'list', '--tenant', 'acme']).out, /^NPM_TOKEN\ttenant acme\t/m);
  assert.match(stint(dir, ['secrets', 'set', 'PATH', '--tenant', 'acme'], 'whatever-long').err, /reserved/);
  // Only ciphertext in the store; the key file is private.
  assert.ok(!readFileSync(join(dir, 'stint.db')).includes('npm_secret_value_123'));
  assert.equal(statSync(join(dir, 'secret.key')).mode & 0o777, 0o600);

  const audit = stint(dir, ['audit', '--json'])
    .out.trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(audit.map((e) => [e.actor, e.method, e.path]).reverse(), [
    ['cli', 'tenants create', 'tenants/acme'],
    ['cli', 'keys create', audit.find((e) => e.method === 'keys create').path],
    ['cli', 'tenants update', 'tenants/acme'],
    ['cli', 'secrets set', 'secrets/NPM_TOKEN'],
  ]);
  assert.ok(!JSON.stringify(audit).includes('npm_secret_value_123'));

  // The key works against a server on this data dir, in its own tenant.
  const server = await startServer({ dataDir: dir, keepDataDir: true, args: ['--no-worker'] });
  try {
    const res = await api({ baseUrl: server.baseUrl, apiKey: key }, 'POST', '/sessions', { prompt: 'hi' });
    assert.equal(res.status, 200);
    const admin = await api(server, 'GET', `/sessions/${res.body.id}`);
    assert.equal(admin.status, 404, 'the default tenant does not see acme');
  } finally {
    await server.cleanup();
  }
});

test('serve says loudly when commands are not isolated, and refuses bubblewrap when it cannot work', async () => {
  const plain = await startServer({ args: ['--no-worker', '--sandbox', 'plain'] });
  try {
    // Said at start, whether before or after the "listening" line.
    await waitUntil(() => /WARNING: Sandbox: plain processes/.test(plain.output())).catch(() => {});
    assert.match(plain.output(), /WARNING: Sandbox: plain processes/);
  } finally {
    await plain.cleanup();
  }
  const r = spawnSync(
    process.execPath,
    [cliEntry, 'serve', '--port', '0', '--no-worker', '--sandbox', 'bubblewrap', '--data-dir', tmp()],
    {
      encoding: 'utf8',
      env: { ...process.env, STINT_BWRAP_PATH: '/nonexistent/bwrap' },
      timeout: CLI_HANG_MS,
    },
  );
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /\/nonexistent\/bwrap is not an executable bwrap/);
  const probe = await probeBubblewrap();
  if (probe.ok) {
    const auto = await startServer({ args: ['--no-worker'] });
    try {
      await new Promise((res) => setTimeout(res, 200));
      assert.doesNotMatch(auto.output(), /WARNING: Sandbox/);
    } finally {
      await auto.cleanup();
    }
  }
  assert.throws(() =>
    execFileSync(process.execPath, [cliEntry, 'serve', '--sandbox', 'docker', '--data-dir', tmp()], {
      stdio: 'pipe',
    }),
  );
});
