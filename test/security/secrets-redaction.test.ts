/**
 * Secrets end to end: a tenant's and a source's secrets reach the session's sandboxed commands as
 * environment variables, and every place the session records them (activities, the changeSet patch
 * in activities and outputs) shows `***` instead. Other tenants' sessions do not get them.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { after, before, test } from 'node:test';
import { openSecrets } from '../../src/security/setup.ts';
import { makeBareRepo, scriptPrompt } from '../support/git-fixtures.ts';
import { eventually, startTestStint, type TestStint } from './helpers.ts';

const TOKEN = 'tok_9f8e7d6c5b4a39281706';
const REG = 'reg-secret-Zx81!"quote\\slash';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

let t: TestStint;
let bare: string;

before(async () => {
  t = await startTestStint({ worker: true });
  bare = makeBareRepo();
  const store = t.stint.store;
  await store.security.createTenant({ id: 'acme', name: 'Acme' });
  await store.putSource({
    tenantId: 'acme',
    id: 'github/acme/widgets',
    gitUrl: bare,
    isPrivate: false,
    config: {},
    createTime: Date.now() * 1000,
  });
  const { secrets } = await openSecrets(store, t.dataDir, t.stint.config.security);
  await secrets.set('acme', '', 'TOKEN', TOKEN);
  await secrets.set('acme', 'github/acme/widgets', 'REG_TOKEN', REG);
});

after(async () => {
  await t?.close();
  if (bare) rmSync(dirname(bare), { recursive: true, force: true });
});

async function run(key: string, script: unknown, source?: string) {
  const created = await t.call(key, 'POST', '/v1alpha/sessions', {
    prompt: scriptPrompt('use the secrets', script),
    ...(source ? { sourceContext: { source } } : {}),
  });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const id = created.body.id as string;
  const session = await eventually(async () => {
    const s = (await t.call(key, 'GET', `/v1alpha/sessions/${id}`)).body;
    return s.state === 'COMPLETED' || s.state === 'FAILED' ? s : undefined;
  }, 120_000);
  const activities = (await t.call(key, 'GET', `/v1alpha/sessions/${id}/activities?pageSize=100`)).body
    .activities as any[];
  return { session, activities };
}

test('a secret printed by a command appears as *** in activities, patches and outputs', async () => {
  const key = await t.key('acme');
  const { session, activities } = await run(
    key,
    {
      plan: ['Use the token'],
      steps: [
        { run: 'echo "token=$TOKEN"; echo "reg=$REG_TOKEN" >&2' },
        { run: 'printf %s "$TOKEN" | sha256sum; printf %s "$REG_TOKEN" | sha256sum' },
        {
          run: 'printf "%s\\n" "$TOKEN" > leaked.txt; printf "url=https://u:%s@x/\\n" "$REG_TOKEN" >> leaked.txt',
        },
      ],
    },
    'sources/github/acme/widgets',
  );
  assert.equal(session.state, 'COMPLETED', JSON.stringify(activities));
  const all = JSON.stringify({ session, activities });
  for (const secret of [TOKEN, REG, JSON.stringify(REG).slice(1, -1), encodeURIComponent(REG)]) {
    assert.ok(!all.includes(secret), `secret leaked: ${secret}`);
  }
  const descriptions = activities.map((a) => a.progressUpdated?.description ?? '').join('\n');
  assert.match(descriptions, /token=\*\*\*/);
  assert.match(descriptions, /reg=\*\*\*/);
  // The commands really got the values.
  assert.ok(descriptions.includes(sha(TOKEN)), descriptions);
  assert.ok(descriptions.includes(sha(REG)), descriptions);
  // The changeSet (in its activity and in outputs) has the secret redacted.
  const patch: string = session.outputs[0].changeSet.gitPatch.unidiffPatch;
  assert.match(patch, /\+\*\*\*\n/);
  assert.match(patch, /url=https:\/\/u:\*\*\*@x\//);
  const inActivity = activities.find((a) => a.artifacts?.[0]?.changeSet);
  assert.equal(inActivity.artifacts[0].changeSet.gitPatch.unidiffPatch, patch);
  // Stored activities are redacted too, not only the API's view of them.
  const stored = await t.stint.store.listActivities(session.id, { limit: 100 });
  assert.ok(!JSON.stringify(stored).includes(TOKEN));
});

test("another tenant's sessions, and sessions of other sources, do not get the secrets", async () => {
  const other = await t.key('other-tenant');
  const mine = await t.key('acme');
  const script = {
    plan: ['look'],
    steps: [{ run: 'echo "[$(printenv TOKEN || echo none)] [$(printenv REG_TOKEN || echo none)]"' }],
  };
  const a = await run(other, script);
  assert.match(JSON.stringify(a.activities), /\[none\] \[none\]/);
  // A repoless session of acme gets the tenant's secret but not the source's.
  const b = await run(mine, script);
  assert.match(JSON.stringify(b.activities), /\[\*\*\*\] \[none\]/);
});
