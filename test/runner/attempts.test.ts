/**
 * Attempts with backoff: a drive that throws every time is tried again after growing waits and,
 * past STINT_MAX_ATTEMPTS, FAILS with its last error; workers that die mid-run (a crash loop) are
 * not followed by immediate retries, and the session FAILS once its attempts are used up.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { WORKER_LOST } from '../../src/store/sql/queue-queries.ts';
import { scriptPrompt } from '../support/git-fixtures.ts';
import { type InProcessServer, startInProcess } from '../support/in-process.ts';
import { api, makeTempDir, waitUntil } from '../support/server.ts';

const servers: InProcessServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

const BASE_MS = 150;

test('a drive that throws every time ends FAILED after N attempts, with growing gaps', async () => {
  const server = await startInProcess({
    env: { STINT_MAX_ATTEMPTS: '4', STINT_RETRY_BASE_MS: String(BASE_MS), STINT_RETRY_MAX_MS: '60000' },
  });
  servers.push(server);
  const calls: number[] = [];
  server.stint.worker!.hooks.beforeDoneCommit = async () => {
    calls.push(performance.now());
    throw new Error('boom: the step cannot be recorded');
  };
  const res = await api(server, 'POST', '/sessions', {
    prompt: scriptPrompt('throws', { steps: [{ message: 'working' }] }),
  });
  const id = res.body.id as string;
  await waitUntil(async () => (await api(server, 'GET', `/sessions/${id}`)).body.state === 'FAILED', 60_000);
  assert.equal(calls.length, 4, 'four attempts, no more');
  // Each wait is at least the backoff for that attempt: BASE, 2·BASE, 4·BASE.
  for (let i = 1; i < calls.length; i++) {
    const gap = calls[i]! - calls[i - 1]!;
    assert.ok(gap >= BASE_MS * 2 ** (i - 1), `gap ${i} was ${gap} ms`);
  }
  const acts = (await api(server, 'GET', `/sessions/${id}/activities?pageSize=100`)).body.activities;
  const failed = acts.filter((a: any) => a.sessionFailed);
  assert.equal(failed.length, 1);
  assert.match(failed[0].sessionFailed.reason, /boom: the step cannot be recorded/);
  assert.match(failed[0].sessionFailed.reason, /gave up after 4 attempts/);
  // The steps before the failing one were recorded once, whatever the number of attempts.
  assert.equal(acts.filter((a: any) => a.agentMessaged?.agentMessage === 'working').length, 1);
  const record = await server.stint.store.getSession(id);
  assert.equal(record?.work.wantsWork, false);
});

test('a crash loop does not spin: claims wait for the backoff, then the session FAILS', async () => {
  const dataDir = makeTempDir();
  const env = { STINT_MAX_ATTEMPTS: '3', STINT_RETRY_BASE_MS: String(BASE_MS), STINT_RETRY_MAX_MS: '60000' };
  // No worker here: the test plays workers that die right after claiming.
  const dead = await startInProcess({ dataDir, env, flags: { worker: false } });
  const res = await api(dead, 'POST', '/sessions', {
    prompt: scriptPrompt('crashes', { steps: [{ message: 'never' }] }),
  });
  const id = res.body.id as string;
  const store = dead.stint.store;
  const backoff = { baseMs: BASE_MS, maxMs: 60_000 };
  for (let attempt = 1; attempt <= 3; attempt++) {
    if (attempt > 1) {
      // Right after the death (its lease long expired), nothing is claimable: no busy retry.
      assert.equal(await store.claimSession(`dead-${attempt}-early`, 1, backoff), undefined);
    }
    let claimed: string | undefined;
    await waitUntil(
      async () => {
        claimed = await store.claimSession(`dead-${attempt}`, 1, backoff);
        return claimed;
      },
      30_000,
      10,
    );
    assert.equal(claimed, id);
    const record = await store.getSession(id);
    assert.equal(record?.work.attempts, attempt);
    assert.equal(record?.work.lastError, WORKER_LOST);
  }
  await dead.close({ keepDataDir: true });

  // A real worker claims it once more (the fourth attempt) and gives up at once.
  const server = await startInProcess({ dataDir, env, apiKey: dead.apiKey });
  servers.push(server);
  await waitUntil(async () => (await api(server, 'GET', `/sessions/${id}`)).body.state === 'FAILED', 30_000);
  const acts = (await api(server, 'GET', `/sessions/${id}/activities?pageSize=100`)).body.activities;
  const reason = acts.find((a: any) => a.sessionFailed)?.sessionFailed.reason;
  assert.equal(reason, `${WORKER_LOST} (gave up after 3 attempts)`);
  assert.ok(!acts.some((a: any) => a.agentMessaged), 'the agent never ran');
});
