/**
 * Kill -9 the server while 20 sessions are mid-run, restart it on the same data
 * dir: every session completes, with gap-free, duplicate-free activities and
 * the files written before the crash.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { CRASH_SCRIPT_ACTIVITIES, crashScript, describeActivity } from '../support/activities.ts';
import { scriptPrompt } from '../support/git-fixtures.ts';
import { api, makeTempDir, type StartedServer, startServer, waitUntil } from '../support/server.ts';

const servers: StartedServer[] = [];
after(async () => {
  for (const s of servers) await s.cleanup();
});

const SESSIONS = 20;
// What one scripted session may cost on a busy shared machine: the waits below are bounded by the
// work (sessions × this), end as soon as their condition holds, and say how far things got.
const MS_PER_SESSION = 10_000;

test('SIGKILL mid-run loses and duplicates nothing', {
  timeout: 3 * SESSIONS * MS_PER_SESSION,
}, async () => {
  const dataDir = makeTempDir();
  const first = await startServer({ dataDir, keepDataDir: true });
  servers.push(first);
  const ids: string[] = [];
  for (let i = 0; i < SESSIONS; i++) {
    const res = await api(first, 'POST', '/sessions', {
      prompt: scriptPrompt(`crash ${i}`, crashScript(1500, 300)),
    });
    assert.equal(res.status, 200);
    ids.push(res.body.id);
  }
  // Wait until every session has written a.txt (the last of them is then sleeping).
  const wroteA = async (server: StartedServer) => {
    let n = 0;
    for (const id of ids) {
      const acts = (await api(server, 'GET', `/sessions/${id}/activities`)).body.activities;
      if (acts.length >= 4) n++;
    }
    return n;
  };
  await waitUntil(
    async () => (await wroteA(first)) === SESSIONS,
    SESSIONS * MS_PER_SESSION,
    50,
    async () => `${await wroteA(first)}/${SESSIONS} sessions wrote a.txt`,
  );
  await first.kill();

  // A restart starts the worker (recovery, workspace scan) before it says it is listening: on a busy
  // machine that takes longer than a first start.
  const second = await startServer({ dataDir, apiKey: first.apiKey, timeoutMs: 90_000 });
  servers.push(second);
  const completed = async () => {
    let n = 0;
    for (const id of ids) {
      const s = (await api(second, 'GET', `/sessions/${id}`)).body;
      if (s.state === 'FAILED') throw new Error(`session ${id} failed`);
      if (s.state === 'COMPLETED') n++;
    }
    return n;
  };
  await waitUntil(
    async () => (await completed()) === SESSIONS,
    SESSIONS * MS_PER_SESSION,
    200,
    async () => `${await completed()}/${SESSIONS} sessions completed after the restart`,
  );

  for (const id of ids) {
    const res = await api(second, 'GET', `/sessions/${id}/activities?pageSize=100`);
    const acts = res.body.activities;
    assert.deepEqual(acts.map(describeActivity), CRASH_SCRIPT_ACTIVITIES, `session ${id}`);
    assert.equal(new Set(acts.map((a: any) => a.id)).size, acts.length);
    for (let i = 1; i < acts.length; i++) assert.ok(acts[i].createTime > acts[i - 1].createTime);
    const s = (await api(second, 'GET', `/sessions/${id}`)).body;
    const patch = s.outputs[0].changeSet.gitPatch.unidiffPatch;
    assert.match(patch, /\+\+\+ b\/a\.txt\n@@ -0,0 \+1 @@\n\+A\n/);
    assert.match(patch, /\+\+\+ b\/b\.txt\n@@ -0,0 \+1 @@\n\+B\n/);
  }
});
