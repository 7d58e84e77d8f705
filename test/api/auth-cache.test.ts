/**
 * The API-key cache (src/api/auth.ts): keyed by the key's hash, it must keep tenants apart, refuse a
 * key revoked through the admin API from the very next request, refuse one revoked by another
 * process once its short lifetime is over, and never cache an answer read before a revocation.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Authenticator, hashApiKey } from '../../src/api/auth.ts';
import type { ApiKeyRecord } from '../../src/store/store.ts';
import { startTestStint, type TestStint } from '../security/helpers.ts';

let t: TestStint;
before(async () => {
  t = await startTestStint();
});
after(async () => {
  await t.close();
});

test("a cached key reaches only its own tenant's sessions; a near miss of it is refused", async () => {
  const a = await t.key('cache-a');
  const b = await t.key('cache-b');
  const created = await t.call(a, 'POST', '/v1alpha/sessions', { prompt: 'mine' });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const path = `/v1alpha/sessions/${created.body.id}`;
  for (let i = 0; i < 5; i++) {
    assert.equal((await t.call(a, 'GET', path)).status, 200);
    const other = await t.call(b, 'GET', path);
    assert.equal(other.status, 404, JSON.stringify(other.body));
    assert.deepEqual((await t.call(b, 'GET', '/v1alpha/sessions')).body.sessions ?? [], []);
  }
  const nearMiss = `${a.slice(0, -1)}${a.endsWith('0') ? '1' : '0'}`;
  assert.equal((await t.call(nearMiss, 'GET', path)).status, 401);
});

test('a key revoked through the admin API is refused from the next request on', async () => {
  const admin = await t.key('cache-admin', 'admin');
  const member = await t.key('cache-member');
  for (let i = 0; i < 3; i++) assert.equal((await t.call(member, 'GET', '/v1alpha/sessions')).status, 200);
  const keys = await t.call(admin, 'GET', '/v1alpha/admin/keys?tenant=cache-member');
  const id = keys.body.keys[0].id as string;
  assert.equal((await t.call(admin, 'POST', `/v1alpha/admin/keys/${id}:revoke`, {})).status, 200);
  const refused = await t.call(member, 'GET', '/v1alpha/sessions');
  assert.equal(refused.status, 401, JSON.stringify(refused.body));
  assert.equal(refused.body.error.status, 'UNAUTHENTICATED');
  // The admin key itself was cached too and still works.
  assert.equal((await t.call(admin, 'GET', '/v1alpha/admin/keys')).status, 200);
});

/** A key store whose reads the test releases one by one, counting them. */
function keyStore(record: ApiKeyRecord) {
  const reads: ((r: ApiKeyRecord | undefined) => void)[] = [];
  let manual = false;
  return {
    reads,
    count: 0,
    manual(on: boolean) {
      manual = on;
    },
    findApiKeyByHash(hash: string): Promise<ApiKeyRecord | undefined> {
      this.count += 1;
      const rec = hash === record.hash ? { ...record } : undefined;
      if (!manual) return Promise.resolve(rec);
      return new Promise((resolve) => reads.push(() => resolve(rec)));
    },
  };
}

const principalOf = (auth: Authenticator, key: string) => auth.principalForKey(key);

test('a key revoked by another process is refused once the cache lifetime is over', async () => {
  const key = 'stint_other_process_revocation';
  const record: ApiKeyRecord = {
    id: 'k-other',
    tenantId: 't-other',
    name: 'n',
    hash: hashApiKey(key),
    role: 'member',
    createTime: 1,
    revoked: false,
  };
  const store = keyStore(record);
  let now = 1_000;
  const auth = new Authenticator(store, { ttlMs: 5000, now: () => now });
  assert.equal((await principalOf(auth, key))?.tenantId, 't-other');
  assert.equal((await principalOf(auth, 'stint_unknown'))?.tenantId, undefined);
  assert.equal(store.count, 2);
  record.revoked = true; // what `stint keys revoke` does, in its own process
  now += 5000;
  assert.equal((await principalOf(auth, key))?.tenantId, 't-other', 'within the lifetime: cached');
  assert.equal(store.count, 2);
  now += 1;
  assert.equal(await principalOf(auth, key), undefined, 'after it: read again, refused');
  assert.equal(store.count, 3);
});

test('an answer read before a revocation is not cached', async () => {
  const key = 'stint_in_flight_revocation';
  const record: ApiKeyRecord = {
    id: 'k-flight',
    tenantId: 't-flight',
    name: 'n',
    hash: hashApiKey(key),
    role: 'member',
    createTime: 1,
    revoked: false,
  };
  const store = keyStore(record);
  const auth = new Authenticator(store, { ttlMs: 60_000 });
  store.manual(true);
  const inFlight = principalOf(auth, key);
  record.revoked = true;
  auth.forgetKeys();
  store.reads.shift()!(undefined);
  // The request that was already being checked is answered with what the store said then ...
  assert.equal((await inFlight)?.keyId, 'k-flight');
  // ... but the next one reads the store again and is refused.
  store.manual(false);
  assert.equal(await principalOf(auth, key), undefined);
  assert.equal(store.count, 2);
});
