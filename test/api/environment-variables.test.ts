/**
 * sourceContext.environmentVariablesEnabled: unset or true, the session's commands receive the
 * tenant's and the source's secrets (as before the field existed); false, they receive none.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { after, before, test } from 'node:test';
import { openSecrets } from '../../src/security/setup.ts';
import { eventually, startTestStint, type TestStint } from '../security/helpers.ts';
import { makeBareRepo, scriptPrompt } from '../support/git-fixtures.ts';

const SOURCE = 'sources/github/acme/widgets';
let t: TestStint;
let bare: string;
let key: string;

before(async () => {
  t = await startTestStint({ worker: true });
  bare = makeBareRepo();
  await t.stint.store.security.createTenant({ id: 'acme', name: 'Acme' });
  await t.stint.store.putSource({
    tenantId: 'acme',
    id: 'github/acme/widgets',
    gitUrl: bare,
    isPrivate: false,
    config: {},
    createTime: Date.now() * 1000,
  });
  const { secrets } = await openSecrets(t.stint.store, t.dataDir, t.stint.config.security);
  await secrets.set('acme', '', 'TENANT_TOKEN', 'tenant-secret-value-1');
  await secrets.set('acme', 'github/acme/widgets', 'SOURCE_TOKEN', 'source-secret-value-2');
  key = await t.key('acme');
});

after(async () => {
  await t?.close();
  if (bare) rmSync(dirname(bare), { recursive: true, force: true });
});

async function seen(
  environmentVariablesEnabled: boolean | undefined,
): Promise<{ session: any; out: string }> {
  const created = await t.call(key, 'POST', '/v1alpha/sessions', {
    prompt: scriptPrompt('print the environment', {
      plan: ['look'],
      steps: [
        { run: 'echo "[$(printenv TENANT_TOKEN || echo none)] [$(printenv SOURCE_TOKEN || echo none)]"' },
      ],
    }),
    sourceContext: {
      source: SOURCE,
      ...(environmentVariablesEnabled === undefined ? {} : { environmentVariablesEnabled }),
    },
  });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const id = created.body.id as string;
  const session = await eventually(async () => {
    const s = (await t.call(key, 'GET', `/v1alpha/sessions/${id}`)).body;
    return s.state === 'COMPLETED' || s.state === 'FAILED' ? s : undefined;
  }, 60_000);
  assert.equal(session.state, 'COMPLETED');
  const acts = (await t.call(key, 'GET', `/v1alpha/sessions/${id}/activities?pageSize=100`)).body.activities;
  const out = acts.map((a: any) => a.progressUpdated?.description ?? '').join('\n');
  return { session, out };
}

test('unset: secrets are given (as before), and nothing is echoed', async () => {
  const { session, out } = await seen(undefined);
  assert.match(out, /\[\*\*\*\] \[\*\*\*\]/);
  assert.equal(session.sourceContext.environmentVariablesEnabled, undefined);
});

test('true: secrets are given; false: none are', async () => {
  const on = await seen(true);
  assert.match(on.out, /\[\*\*\*\] \[\*\*\*\]/);
  assert.equal(on.session.sourceContext.environmentVariablesEnabled, true);
  const off = await seen(false);
  assert.match(off.out, /\[none\] \[none\]/);
  assert.equal(off.session.sourceContext.environmentVariablesEnabled, false);
});
