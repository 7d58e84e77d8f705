/**
 * The security store on SQLite and PostgreSQL: tenants and limits, per-key rate limits, secrets,
 * the audit log, and the claim that keeps a tenant's excess sessions QUEUED.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { registerApiKey } from '../../src/api/auth.ts';
import type { SessionState } from '../../src/domain/states.ts';
import { openPostgresStore } from '../../src/store/postgres/open.ts';
import { openSqliteStore } from '../../src/store/sqlite/open.ts';
import type { Store } from '../../src/store/store.ts';
import { sessionFixture } from '../contracts/store.contract.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { makeTempDir } from '../support/server.ts';

function contract(name: string, open: () => Promise<Store>, close: (s: Store) => Promise<void>) {
  describe(`security store: ${name}`, () => {
    let store: Store;
    before(async () => {
      store = await open();
    });
    after(() => close(store));

    test('tenants: create once, read, update limits, list', async () => {
      assert.equal(await store.security.createTenant({ id: 't1', name: 'One' }), true);
      assert.equal(await store.security.createTenant({ id: 't1', name: 'Again' }), false);
      const t1 = await store.security.getTenant('t1');
      assert.deepEqual(
        { ...t1, createTime: 0 },
        {
          id: 't1',
          name: 'One',
          createTime: 0,
          maxWorkingSessions: null,
          rateLimitPerMinute: null,
        },
      );
      assert.equal(
        await store.security.updateTenant('t1', { maxWorkingSessions: 3, rateLimitPerMinute: 0 }),
        true,
      );
      assert.equal(await store.security.updateTenant('nope', { name: 'x' }), false);
      const updated = await store.security.getTenant('t1');
      assert.equal(updated?.maxWorkingSessions, 3);
      assert.equal(updated?.rateLimitPerMinute, 0);
      assert.ok((await store.security.listTenants()).some((t) => t.id === 't1'));
    });

    test('rate limits: per key and per tenant, null by default', async () => {
      await store.security.createTenant({ id: 't2', name: 't2' });
      const rec = await registerApiKey(store, `k-${name}-rate`, {
        name: 'k',
        role: 'member',
        tenantId: 't2',
      });
      assert.deepEqual(await store.security.rateLimits(rec.id, 't2'), { key: null, tenant: null });
      assert.equal(await store.security.setKeyRateLimit(rec.id, 120), true);
      assert.equal(await store.security.setKeyRateLimit('missing', 1), false);
      await store.security.updateTenant('t2', { rateLimitPerMinute: 600 });
      assert.deepEqual(await store.security.rateLimits(rec.id, 't2'), { key: 120, tenant: 600 });
      // The key still authenticates as before.
      assert.equal((await store.findApiKeyByHash(rec.hash))?.id, rec.id);
    });

    test('secrets: upsert, scoped lists, delete; only ciphertext is stored', async () => {
      const base = { tenantId: 't1', createTime: 1, updateTime: 1 };
      await store.security.putSecret({ ...base, sourceId: '', name: 'A', ciphertext: 'c1' });
      await store.security.putSecret({ ...base, sourceId: 'github/o/r', name: 'A', ciphertext: 'c2' });
      await store.security.putSecret({ ...base, sourceId: '', name: 'A', ciphertext: 'c3', updateTime: 2 });
      const tenantWide = await store.security.listSecrets('t1', '');
      assert.deepEqual(
        tenantWide.map((s) => [s.name, s.ciphertext, s.updateTime]),
        [['A', 'c3', 2]],
      );
      assert.equal((await store.security.listSecrets('t1')).length, 2);
      assert.equal((await store.security.listSecrets('t1', 'github/o/r'))[0]?.ciphertext, 'c2');
      assert.equal((await store.security.listSecrets('t2')).length, 0);
      assert.equal(await store.security.deleteSecret('t1', 'github/o/r', 'A'), true);
      assert.equal(await store.security.deleteSecret('t1', 'github/o/r', 'A'), false);
    });

    test('audit log: append and page newest first, by tenant', async () => {
      for (let i = 0; i < 5; i++) {
        await store.security.appendAudit({
          time: 1000 + i,
          tenantId: i % 2 === 0 ? 'ta' : 'tb',
          keyId: `k${i}`,
          actor: 'api',
          method: 'POST',
          path: `/v1alpha/sessions/${i}`,
          status: 200,
          ...(i === 0 ? { detail: { route: '/v1alpha/sessions/:id' } } : {}),
        });
      }
      const all = await store.security.listAudit({ limit: 10 });
      assert.deepEqual(
        all.map((e) => e.keyId),
        ['k4', 'k3', 'k2', 'k1', 'k0'],
      );
      assert.deepEqual(all.at(-1)?.detail, { route: '/v1alpha/sessions/:id' });
      const ta = await store.security.listAudit({ tenantId: 'ta', limit: 2 });
      assert.deepEqual(
        ta.map((e) => e.keyId),
        ['k4', 'k2'],
      );
      const next = await store.security.listAudit({ tenantId: 'ta', limit: 2, beforeId: ta[1]!.id });
      assert.deepEqual(
        next.map((e) => e.keyId),
        ['k0'],
      );
    });

    test('claims keep a tenant at its limit of working sessions; excess stays QUEUED', async () => {
      await store.security.createTenant({ id: 'lim', name: 'lim' });
      await store.security.updateTenant('lim', { maxWorkingSessions: 2 });
      await store.security.setDefaultMaxWorkingSessions(0);
      const setState = (id: string, state: SessionState, wantsWork: boolean) =>
        store.mutateSession(id, () => ({ change: { state, wantsWork } }));
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) {
        const s = sessionFixture('lim', { createTime: 10 + i, updateTime: 10 + i });
        await store.createSession(s, { wantsWork: true }, []);
        ids.push(s.id);
      }
      const free = sessionFixture('unlimited-tenant');
      await store.createSession(free, { wantsWork: true }, []);

      const claimed: string[] = [];
      for (let i = 0; i < 10; i++) {
        const id = await store.claimSession('w1', 60_000);
        if (!id) break;
        claimed.push(id);
      }
      // Two of lim's (leased while still QUEUED count), plus the other tenant's.
      assert.equal(claimed.filter((id) => ids.includes(id)).length, 2, JSON.stringify(claimed));
      assert.ok(claimed.includes(free.id));
      assert.equal(await store.security.countWorkingSessions('lim'), 2);

      const [a, b] = claimed.filter((id) => ids.includes(id)) as [string, string];
      await setState(a, 'PLANNING', true);
      await setState(b, 'IN_PROGRESS', true);
      await store.releaseLease(a, 'w1');
      await store.releaseLease(b, 'w1');
      // Working sessions are still claimable (their run must go on); queued ones are not.
      const again = new Set<string>();
      for (let i = 0; i < 5; i++) {
        const id = await store.claimSession('w2', 60_000);
        if (!id) break;
        again.add(id);
      }
      assert.deepEqual([...again].sort(), [a, b].sort());
      await store.releaseLease(a, 'w2');
      await store.releaseLease(b, 'w2');

      // Waiting for feedback does not count: one slot frees up.
      await setState(a, 'AWAITING_USER_FEEDBACK', false);
      await setState(b, 'COMPLETED', false);
      const next: string[] = [];
      for (let i = 0; i < 5; i++) {
        const id = await store.claimSession('w3', 60_000);
        if (!id) break;
        next.push(id);
      }
      assert.equal(next.length, 2, 'both free slots are used');
      assert.ok(next.every((id) => ids.includes(id) && id !== a && id !== b));
      assert.equal(await store.security.countWorkingSessions('lim'), 2);

      // The server default applies to tenants without their own limit; 0 means unlimited.
      await store.security.updateTenant('lim', { maxWorkingSessions: null });
      await store.security.setDefaultMaxWorkingSessions(1);
      const s5 = sessionFixture('lim');
      await store.createSession(s5, { wantsWork: true }, []);
      assert.equal(await store.claimSession('w4', 60_000), undefined);
      await store.security.updateTenant('lim', { maxWorkingSessions: 0 });
      assert.equal(await store.claimSession('w4', 60_000), s5.id);
    });
  });
}

const dirs: string[] = [];
contract(
  'sqlite',
  async () => {
    const dir = makeTempDir('stint-secstore-');
    dirs.push(dir);
    return openSqliteStore({ dataDir: dir });
  },
  async (s) => {
    await s.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  },
);

let pgDb: TestDatabase | undefined;
contract(
  'postgres',
  async () => {
    pgDb = await createTestDatabase();
    return openPostgresStore({ url: pgDb.url });
  },
  async (s) => {
    await s?.close();
    await pgDb?.cleanup();
  },
);
