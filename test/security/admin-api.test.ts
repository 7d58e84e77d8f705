/** The admin API: admin keys manage tenants, keys, secrets and read the audit log; members get 403. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { eventually, startTestStint, type TestStint } from './helpers.ts';

let t: TestStint;
let admin: string;
let member: string;

before(async () => {
  t = await startTestStint();
  admin = await t.key('default', 'admin');
  member = await t.key('default');
});
after(() => t?.close());

test('member keys get 403 PERMISSION_DENIED on every admin method; no key gets 401', async () => {
  const calls: [string, string, unknown?][] = [
    ['GET', '/v1alpha/admin/tenants'],
    ['POST', '/v1alpha/admin/tenants', { id: 'x' }],
    ['GET', '/v1alpha/admin/tenants/default'],
    ['PATCH', '/v1alpha/admin/tenants/default', { name: 'y' }],
    ['GET', '/v1alpha/admin/keys'],
    ['POST', '/v1alpha/admin/keys', { tenant: 'default', role: 'admin' }],
    ['PATCH', '/v1alpha/admin/keys/abc', { rateLimitPerMinute: 1 }],
    ['POST', '/v1alpha/admin/keys/abc:revoke', {}],
    ['GET', '/v1alpha/admin/tenants/default/secrets'],
    ['PUT', '/v1alpha/admin/tenants/default/secrets/TOKEN', { value: 'abcdefgh' }],
    ['DELETE', '/v1alpha/admin/tenants/default/secrets/TOKEN'],
    ['GET', '/v1alpha/admin/auditLog'],
  ];
  for (const [method, path, body] of calls) {
    const res = await t.call(member, method, path, body);
    assert.equal(res.status, 403, `${method} ${path}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.error.status, 'PERMISSION_DENIED');
    assert.equal((await t.call(undefined, method, path, body)).status, 401);
  }
  assert.equal((await t.stint.store.security.getTenant('x')) === undefined, true);
});

test('an admin creates a tenant and a key for it; that key sees only its tenant', async () => {
  const created = await t.call(admin, 'POST', '/v1alpha/admin/tenants', {
    id: 'team-1',
    name: 'Team One',
    maxWorkingSessions: 3,
  });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  assert.deepEqual(
    { ...created.body, createTime: 'x' },
    {
      id: 'team-1',
      name: 'Team One',
      createTime: 'x',
      maxWorkingSessions: 3,
      rateLimitPerMinute: null,
      workingSessions: 0,
    },
  );
  assert.equal((await t.call(admin, 'POST', '/v1alpha/admin/tenants', { id: 'team-1' })).status, 409);
  assert.equal((await t.call(admin, 'POST', '/v1alpha/admin/tenants', { id: '../x' })).status, 400);
  const patched = await t.call(admin, 'PATCH', '/v1alpha/admin/tenants/team-1', { rateLimitPerMinute: 0 });
  assert.equal(patched.body.rateLimitPerMinute, 0);
  assert.equal((await t.call(admin, 'PATCH', '/v1alpha/admin/tenants/nope', {})).status, 404);
  assert.equal(
    (await t.call(admin, 'PATCH', '/v1alpha/admin/tenants/team-1', { maxWorkingSessions: -1 })).status,
    400,
  );

  const key = await t.call(admin, 'POST', '/v1alpha/admin/keys', { tenant: 'team-1', name: 'ci' });
  assert.equal(key.status, 200, JSON.stringify(key.body));
  assert.match(key.body.key, /^stint_/);
  assert.equal(key.body.role, 'member');
  assert.equal((await t.call(admin, 'POST', '/v1alpha/admin/keys', { tenant: 'missing' })).status, 404);
  const session = await t.call(key.body.key, 'POST', '/v1alpha/sessions', { prompt: 'team work' });
  assert.equal(session.status, 200);
  const mine = await t.call(admin, 'GET', `/v1alpha/sessions/${session.body.id}`);
  assert.equal(mine.status, 404, "the Jules API stays scoped to the admin key's own tenant");

  const listed = await t.call(admin, 'GET', '/v1alpha/admin/keys?tenant=team-1');
  assert.deepEqual(
    listed.body.keys.map((k: any) => [k.id, k.name, k.revoked]),
    [[key.body.id, 'ci', false]],
  );
  assert.ok(!JSON.stringify(listed.body).includes(key.body.key), 'keys are never listed');

  // Rate limit for the key, then revoke it.
  assert.equal(
    (await t.call(admin, 'PATCH', `/v1alpha/admin/keys/${key.body.id}`, { rateLimitPerMinute: 1 })).status,
    200,
  );
  const statuses = [
    (await t.call(key.body.key, 'GET', '/v1alpha/sessions')).status,
    (await t.call(key.body.key, 'GET', '/v1alpha/sessions')).status,
  ];
  assert.ok(statuses.includes(429), JSON.stringify(statuses));
  assert.equal((await t.call(admin, 'POST', `/v1alpha/admin/keys/${key.body.id}:revoke`, {})).status, 200);
  await eventually(
    async () => (await t.call(key.body.key, 'GET', '/v1alpha/sources')).status === 401,
    120_000,
  );
});

test('secrets: set, list names only, delete; invalid names refused', async () => {
  const put = await t.call(admin, 'PUT', '/v1alpha/admin/tenants/default/secrets/NPM_TOKEN', {
    value: 'npm_abcdefgh123',
  });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  const list = await t.call(admin, 'GET', '/v1alpha/admin/tenants/default/secrets');
  assert.deepEqual(
    list.body.secrets.map((s: any) => s.name),
    ['NPM_TOKEN'],
  );
  assert.ok(!JSON.stringify(list.body).includes('npm_abcdefgh123'));
  const bad = await t.call(admin, 'PUT', '/v1alpha/admin/tenants/default/secrets/PATH', {
    value: 'abcdefgh',
  });
  assert.equal(bad.status, 400);
  const short = await t.call(admin, 'PUT', '/v1alpha/admin/tenants/default/secrets/OK', { value: 'ab' });
  assert.equal(short.status, 400);
  const noSource = await t.call(admin, 'PUT', '/v1alpha/admin/tenants/default/secrets/OK', {
    value: 'abcdefgh',
    source: 'sources/github/no/such',
  });
  assert.equal(noSource.status, 404);
  assert.equal(
    (await t.call(admin, 'DELETE', '/v1alpha/admin/tenants/default/secrets/NPM_TOKEN')).status,
    200,
  );
  assert.equal(
    (await t.call(admin, 'DELETE', '/v1alpha/admin/tenants/default/secrets/NPM_TOKEN')).status,
    404,
  );
});

test('the audit log lists changes newest first, pages, and never holds secret values', async () => {
  const page1 = await t.call(admin, 'GET', '/v1alpha/admin/auditLog?pageSize=2');
  assert.equal(page1.status, 200);
  assert.equal(page1.body.entries.length, 2);
  assert.ok(page1.body.nextPageToken);
  const page2 = await t.call(
    admin,
    'GET',
    `/v1alpha/admin/auditLog?pageSize=2&pageToken=${page1.body.nextPageToken}`,
  );
  assert.ok(page2.body.entries[0].id < page1.body.entries[1].id);
  const all = await t.call(admin, 'GET', '/v1alpha/admin/auditLog?pageSize=500');
  const paths = all.body.entries.map((e: any) => `${e.method} ${e.path} ${e.status}`);
  assert.ok(paths.includes('POST /v1alpha/admin/tenants 200'), paths.join('\n'));
  assert.ok(paths.includes('PUT /v1alpha/admin/tenants/default/secrets/NPM_TOKEN 200'));
  assert.ok(!JSON.stringify(all.body).includes('npm_abcdefgh123'));
  assert.equal((await t.call(admin, 'GET', '/v1alpha/admin/auditLog?pageToken=zzz')).status, 400);
  const team = await t.call(admin, 'GET', '/v1alpha/admin/auditLog?tenant=team-1');
  assert.ok(team.body.entries.every((e: any) => e.tenantId === 'team-1'));
});
