/** The shared Store contract on PostgreSQL, plus what only a many-process store has to do. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { MIGRATIONS } from '../../src/store/migrations/index.ts';
import { migrationName } from '../../src/store/migrations/migrate.ts';
import { openPostgresStore } from '../../src/store/postgres/open.ts';
import type { SqlStore } from '../../src/store/sql/sql-store.ts';
import { runStoreContract, sessionFixture } from '../contracts/store.contract.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';

let contractDb: TestDatabase | undefined;
runStoreContract(
  'postgres',
  async () => {
    contractDb = await createTestDatabase();
    return openPostgresStore({ url: contractDb.url });
  },
  async (s) => {
    await s.close();
    await contractDb?.cleanup();
  },
);

describe('PostgreSQL store', () => {
  let database: TestDatabase;
  let store: SqlStore;
  before(async () => {
    database = await createTestDatabase();
    // Several processes starting at once: the advisory lock lets exactly one apply each migration.
    const stores = await Promise.all([1, 2, 3].map(() => openPostgresStore({ url: database.url })));
    store = stores[0]!;
    for (const s of stores.slice(1)) await s.close();
  });
  after(async () => {
    await store?.close();
    await database?.cleanup();
  });

  async function query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      return (await client.query<R>(text, values)).rows;
    } finally {
      await client.end();
    }
  }

  test('migrations are applied once and recorded per version', async () => {
    const rows = await query<{ name: string }>('select name from kysely_migration order by name');
    assert.deepEqual(
      rows.map((r) => r.name),
      MIGRATIONS.map(migrationName).sort(),
    );
    const versions = MIGRATIONS.map((m) => m.version).sort((a, b) => a - b);
    assert.equal(await store.getMeta('schema_version'), String(versions.at(-1)));
  });

  test('a database upgraded by a newer Stint is refused', async () => {
    await query("insert into kysely_migration (name, timestamp) values ('9999-from-the-future', 'x')");
    try {
      await assert.rejects(openPostgresStore({ url: database.url }), /does not know \(9999\)/);
    } finally {
      await query("delete from kysely_migration where name = '9999-from-the-future'");
    }
  });

  test('many concurrent claimers each get a different session', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const s = sessionFixture('t-claim');
      ids.add(s.id);
      await store.createSession(s, { wantsWork: true }, []);
    }
    const got: string[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        for (let i = 0; i < 30; i++) {
          const id = await store.claimSession(`w${w}`, 60_000);
          if (!id) return;
          got.push(id);
        }
      }),
    );
    assert.equal(got.length, 20);
    assert.deepEqual(new Set(got), ids);
  });

  test("concurrent claimers never take more than a tenant's limit of working sessions", async () => {
    // Several processes' worth of pools, all claiming at once for one tenant with room for 3.
    const others = await Promise.all([1, 2, 3].map(() => openPostgresStore({ url: database.url })));
    try {
      await store.security.createTenant({ id: 't-burst', name: 't-burst' });
      await store.security.updateTenant('t-burst', { maxWorkingSessions: 3 });
      const ids = new Set<string>();
      for (let i = 0; i < 30; i++) {
        const s = sessionFixture('t-burst');
        ids.add(s.id);
        await store.createSession(s, { wantsWork: true }, []);
      }
      const got: string[] = [];
      await Promise.all(
        [store, ...others].flatMap((st, p) =>
          Array.from({ length: 4 }, async (_, w) => {
            for (let i = 0; i < 40; i++) {
              const id = await st.claimSession(`burst-${p}-${w}`, 60_000);
              if (!id) return;
              if (ids.has(id)) got.push(id);
            }
          }),
        ),
      );
      assert.equal(got.length, 3, JSON.stringify(got));
      assert.equal(new Set(got).size, 3);
      assert.equal(await store.security.countWorkingSessions('t-burst'), 3);
      // A slot freed by one session ending is taken by exactly one of many claimers.
      await store.mutateSession(got[0]!, () => ({ change: { state: 'FAILED', wantsWork: false } }));
      const next = await Promise.all(
        [store, ...others].map((st, p) => st.claimSession(`burst-next-${p}`, 60_000)),
      );
      assert.equal(next.filter((id) => id !== undefined && ids.has(id)).length, 1);
      assert.equal(await store.security.countWorkingSessions('t-burst'), 3);
    } finally {
      for (const o of others) await o.close();
    }
  });

  test('activities record the lease they were written under; each claim is a new epoch', async () => {
    const s = sessionFixture('t-writer');
    await store.createSession(s, { wantsWork: true }, []);
    for (const owner of ['w-a', 'w-b']) {
      for (let i = 0; i < 20 && (await store.claimSession('other', 60_000)) !== s.id; i++);
      await store.releaseLease(s.id, 'other');
      assert.equal(await store.claimSession(owner, 60_000), s.id);
      await store.mutateSession(
        s.id,
        () => ({
          change: {
            activities: [{ originator: 'agent', content: { kind: 'agentMessaged', agentMessage: owner } }],
          },
        }),
        { leaseOwner: owner },
      );
      await store.releaseLease(s.id, owner);
    }
    await store.mutateSession(s.id, () => ({
      change: {
        wantsWork: false,
        activities: [{ originator: 'user', content: { kind: 'userMessaged', userMessage: 'hi' } }],
      },
    }));
    const rows = await query<{ seq: number; lease_owner: string | null; lease_epoch: number | null }>(
      'select seq, lease_owner, lease_epoch from activities where session_id = $1 order by seq',
      [s.id],
    );
    assert.deepEqual(
      rows.map((r) => [r.lease_owner, r.lease_epoch === null ? null : Number(r.lease_epoch)]),
      [
        ['w-a', 2],
        ['w-b', 4],
        [null, null],
      ],
    );
  });

  test('commits NOTIFY stint_work when a session wants a worker and stint_session, naming the writing store, on every change', async () => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const seen: { channel: string; payload: string }[] = [];
    client.on('notification', (n) => seen.push({ channel: n.channel, payload: n.payload ?? '' }));
    try {
      await client.query('listen stint_work; listen stint_session');
      const s = sessionFixture('t-notify');
      await store.createSession(s, { wantsWork: false }, []);
      await store.mutateSession(s.id, () => ({ change: { state: 'PLANNING', wantsWork: true } }));
      await store.deleteSession(s.id);
      // Bounds a hang; on a busy machine the notifications may take a while, the wait ends when all 4 are in.
      const deadline = Date.now() + 120_000;
      const mineCount = () => seen.filter((n) => n.payload.includes(s.id)).length;
      while (mineCount() < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const mine = seen.filter((n) => n.payload.includes(s.id));
      assert.deepEqual(
        mine.map((n) =>
          n.channel === 'stint_work' ? ['work', n.payload] : ['session', JSON.parse(n.payload)],
        ),
        [
          ['session', { id: s.id, state: 'QUEUED', from: 0, n: 0, writer: store.writerId }],
          ['session', { id: s.id, state: 'PLANNING', from: 0, n: 0, writer: store.writerId }],
          ['work', s.id],
          ['session', { id: s.id, deleted: true, writer: store.writerId }],
        ],
      );
    } finally {
      await client.end();
    }
  });
});
