/**
 * One `stint serve` per SQLite data directory: a second one refuses to start with one line naming
 * the holder's pid (two servers would both run recovery and release each other's leases); a lock
 * left by a process that died (SIGKILL) is taken over.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { lockDataDir } from '../../src/store/sqlite/data-dir-lock.ts';
import { deploymentMode } from '../support/deployment.ts';
import { api, cliEntry, makeTempDir, startServer } from '../support/server.ts';

const run = promisify(execFile);
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function secondServe(dataDir: string): Promise<{ code: number; stderr: string }> {
  try {
    await run(
      process.execPath,
      [cliEntry, 'serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir],
      {
        env: { ...process.env, STINT_API_KEY: 'test_second_server_key_0123456789' },
        timeout: 120_000,
      },
    );
    return { code: 0, stderr: '' };
  } catch (e) {
    const err = e as { code?: number; stderr?: string; killed?: boolean };
    assert.ok(!err.killed, 'the second server refused to start instead of running');
    return { code: Number(err.code), stderr: err.stderr ?? '' };
  }
}

test('a second stint serve on the same data directory refuses, naming the holder; a dead holder is taken over', {
  skip: deploymentMode ? 'PostgreSQL deployments share the store by design' : false,
}, async () => {
  const dataDir = makeTempDir();
  dirs.push(dataDir);
  const first = await startServer({ dataDir, keepDataDir: true });
  const holder = first.proc.pid!;
  assert.equal(readFileSync(join(dataDir, 'stint.pid'), 'utf8').trim(), String(holder));

  const refused = await secondServe(dataDir);
  assert.notEqual(refused.code, 0);
  assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
  assert.match(refused.stderr, new RegExp(`in use by another Stint process \\(pid ${holder}\\)`));
  assert.match(refused.stderr, new RegExp(dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  // The first one is unharmed.
  assert.equal((await api(first, 'GET', '/sessions')).status, 200);

  // SIGKILL leaves the pid file behind; the lock itself dies with the process.
  await first.kill();
  assert.equal(readFileSync(join(dataDir, 'stint.pid'), 'utf8').trim(), String(holder));
  const next = await startServer({ dataDir, apiKey: first.apiKey, keepDataDir: true });
  try {
    assert.equal((await api(next, 'GET', '/sessions')).status, 200);
    assert.equal(readFileSync(join(dataDir, 'stint.pid'), 'utf8').trim(), String(next.proc.pid));
    // A clean stop releases the lock and removes the pid file.
    assert.equal(await next.stop(), 0);
  } finally {
    await next.cleanup();
  }
  const again = lockDataDir(dataDir);
  again.release();
});

test('within one process too, the lock is exclusive until released', () => {
  const dataDir = makeTempDir();
  dirs.push(dataDir);
  const lock = lockDataDir(dataDir);
  assert.throws(() => lockDataDir(dataDir), new RegExp(`pid ${process.pid}`));
  lock.release();
  lockDataDir(dataDir).release();
});
