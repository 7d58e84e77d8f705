/**
 * Limits and the audit log through the real server: rate limits per key and per tenant (429 with
 * Retry-After), the audit trail of state-changing calls, the per-tenant limit of working sessions
 * (excess stays QUEUED) and the disk limit of a workspace.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hashApiKey } from '../../src/api/auth.ts';
import { scriptPrompt } from '../support/git-fixtures.ts';
import { eventually, startTestStint, type TestStint } from './helpers.ts';

describe('API limits and audit', () => {
  let t: TestStint;
  before(async () => {
    t = await startTestStint();
  });
  after(() => t?.close());

  const keyId = async (key: string) => (await t.stint.store.findApiKeyByHash(hashApiKey(key)))!.id;

  test('rate limits are off by default', async () => {
    const key = await t.key('plenty');
    for (let i = 0; i < 60; i++) assert.equal((await t.call(key, 'GET', '/v1alpha/sessions')).status, 200);
  });

  test("a key over its limit gets 429 RESOURCE_EXHAUSTED with Retry-After; others don't", async () => {
    const key = await t.key('rl');
    const other = await t.key('rl');
    await t.stint.store.security.setKeyRateLimit(await keyId(key), 3);
    for (let i = 0; i < 3; i++) assert.equal((await t.call(key, 'GET', '/v1alpha/sessions')).status, 200);
    const res = await t.call(key, 'POST', '/v1alpha/sessions', { prompt: 'x' });
    assert.equal(res.status, 429);
    assert.equal(res.body.error.status, 'RESOURCE_EXHAUSTED');
    assert.equal(res.body.error.code, 429);
    assert.ok(Number(res.headers['retry-after']) >= 1, String(res.headers['retry-after']));
    assert.equal((await t.call(other, 'GET', '/v1alpha/sessions')).status, 200);
    // A refused request created nothing.
    const list = await t.call(other, 'GET', '/v1alpha/sessions');
    assert.equal(list.body.sessions?.length ?? 0, 0);
  });

  test("a tenant's limit is shared by all its keys", async () => {
    await t.stint.store.security.createTenant({ id: 'rt', name: 'rt' });
    await t.stint.store.security.updateTenant('rt', { rateLimitPerMinute: 4 });
    const a = await t.key('rt');
    const b = await t.key('rt');
    const statuses: number[] = [];
    for (const k of [a, b, a, b, a, b]) statuses.push((await t.call(k, 'GET', '/v1alpha/sources')).status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429]);
  });

  test('state-changing calls are audited (who, what, when, outcome); reads and anonymous calls are not', async () => {
    const key = await t.key('audited');
    const id = await keyId(key);
    const before = Date.now() * 1000;
    const created = await t.call(key, 'POST', '/v1alpha/sessions', { prompt: 'audit me, secret prompt' });
    await t.call(key, 'GET', `/v1alpha/sessions/${created.body.id}`);
    await t.call(key, 'POST', `/v1alpha/sessions/${created.body.id}:archive`, {});
    await t.call(key, 'DELETE', '/v1alpha/sessions/1234567890123456789');
    await t.call(undefined, 'POST', '/v1alpha/sessions', { prompt: 'anonymous' });
    const entries = await eventually(async () => {
      const rows = await t.stint.store.security.listAudit({ tenantId: 'audited', limit: 10 });
      return rows.length >= 3 ? rows : undefined;
    });
    assert.deepEqual(entries.map((e) => [e.method, e.path, e.status, e.keyId, e.actor]).reverse(), [
      ['POST', '/v1alpha/sessions', 200, id, 'api'],
      ['POST', `/v1alpha/sessions/${created.body.id}:archive`, 200, id, 'api'],
      ['DELETE', '/v1alpha/sessions/1234567890123456789', 404, id, 'api'],
    ]);
    assert.ok(entries.every((e) => e.time >= before && e.time <= Date.now() * 1000));
    assert.ok(!JSON.stringify(entries).includes('secret prompt'), 'bodies are never recorded');
    const anonymous = await t.stint.store.security.listAudit({ limit: 100 });
    assert.ok(!anonymous.some((e) => e.keyId === null && e.actor === 'api'));
  });
});

describe('session limits (with the worker)', () => {
  let t: TestStint;
  before(async () => {
    t = await startTestStint({
      worker: true,
      env: {
        STINT_MAX_WORKING_SESSIONS_PER_TENANT: '1',
        STINT_MAX_WORKSPACE_BYTES: String(1024 * 1024),
        // Walk after every command: space other tests free at the same moment must not hide the
        // growth from the free-space check (test/security/disk-meter.test.ts covers that check).
        STINT_DISK_RECHECK_MS: '0',
      },
    });
  });
  after(() => t?.close());

  const state = async (key: string, id: string) => (await t.call(key, 'GET', `/v1alpha/sessions/${id}`)).body;

  test("a tenant's sessions beyond its working limit stay QUEUED until one finishes", async () => {
    const key = await t.key('busy');
    const other = await t.key('elsewhere');
    // An hour: a is still working whenever the checks below run, however slow the machine (it is cancelled).
    const slow = scriptPrompt('slow', { plan: ['wait'], steps: [{ sleep: 3_600_000 }, { message: 'done' }] });
    const a = (await t.call(key, 'POST', '/v1alpha/sessions', { prompt: slow })).body.id;
    await eventually(async () => (await state(key, a)).state === 'IN_PROGRESS');
    const b = (await t.call(key, 'POST', '/v1alpha/sessions', { prompt: 'second' })).body.id;
    const c = (await t.call(other, 'POST', '/v1alpha/sessions', { prompt: 'other tenant' })).body.id;
    // The other tenant is not held up by this one's limit; meanwhile the worker had every chance
    // to claim b, which stays QUEUED behind a.
    await eventually(async () => (await state(other, c)).state === 'COMPLETED');
    assert.equal((await state(key, b)).state, 'QUEUED');
    assert.equal((await state(key, a)).state, 'IN_PROGRESS');
    // Once a stops working, b starts.
    assert.equal((await t.call(key, 'POST', `/v1alpha/sessions/${a}:cancel`, {})).status, 200);
    await eventually(async () => (await state(key, b)).state === 'COMPLETED');
  });

  test('a workspace over the disk limit fails its session with a clear reason', async () => {
    const key = await t.key('disk');
    const prompt = scriptPrompt('fill the disk', {
      plan: ['fill'],
      steps: [
        { run: 'for i in 1 2 3; do head -c 600000 /dev/zero > big$i; done; echo wrote' },
        { message: 'should not get here' },
      ],
    });
    const id = (await t.call(key, 'POST', '/v1alpha/sessions', { prompt })).body.id;
    const s = await eventually(async () => {
      const cur = await state(key, id);
      return cur.state === 'FAILED' || cur.state === 'COMPLETED' ? cur : undefined;
    });
    assert.equal(s.state, 'FAILED');
    const acts = (await t.call(key, 'GET', `/v1alpha/sessions/${id}/activities`)).body.activities as any[];
    const failed = acts.find((a) => a.sessionFailed);
    assert.match(failed.sessionFailed.reason, /workspace uses more than 1\.0 MiB of disk/);
    assert.ok(!acts.some((a) => a.agentMessaged?.agentMessage === 'should not get here'));
  });
});
