/**
 * The webhook, idempotency, session-feed and stats stores: one suite every SQL store runs
 * (SQLite, PostgreSQL), so the triggers and queries of both dialects behave the same.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { nowMicros } from '../../src/domain/time.ts';
import type { Store } from '../../src/store/store.ts';
import type { OutboxItem, WebhookEndpointRecord } from '../../src/store/webhook-store.ts';
import { sessionFixture } from './store.contract.ts';

const say = (text: string) => ({
  originator: 'agent' as const,
  content: { kind: 'agentMessaged' as const, agentMessage: text },
});

function endpoint(
  tenantId: string,
  id: string,
  over: Partial<WebhookEndpointRecord> = {},
): WebhookEndpointRecord {
  const now = nowMicros();
  return {
    id,
    tenantId,
    url: `http://127.0.0.1:9/${id}`,
    description: '',
    secret: 'whsec_dGVzdA==',
    eventTypes: [],
    disabled: false,
    createTime: now,
    updateTime: now,
    ...over,
  };
}

/** Drafts one event per item, typed by kind, carrying what the item held. */
const build = (seen: OutboxItem[]) => (item: OutboxItem) => {
  seen.push(item);
  return [
    {
      id: `evt_${item.id}_${Math.random().toString(36).slice(2)}`,
      type: item.kind === 'activity' ? 'activity.created' : `session.${item.kind}`,
      sessionId: item.sessionId,
      payload: JSON.stringify({ kind: item.kind, state: item.state ?? null }),
      createTime: item.createTime,
    },
  ];
};

export function runExtensionsStoreContract(
  name: string,
  open: () => Promise<Store>,
  close: (s: Store) => Promise<void>,
): void {
  describe(`extensions store contract: ${name}`, () => {
    let store: Store;
    before(async () => {
      store = await open();
    });
    after(async () => {
      await close(store);
    });

    test('the outbox is filled in the same transaction as each change, only for tenants with webhooks', async () => {
      const quiet = sessionFixture('t-quiet');
      await store.createSession(quiet, { wantsWork: false }, [say('x')]);
      assert.equal(await store.webhooks.fanOut(100, build([])), 0, 'no endpoint, no outbox rows');

      await store.webhooks.createEndpoint(endpoint('t-hook', 'wh_all'));
      await store.webhooks.createEndpoint(endpoint('t-hook', 'wh_done', { eventTypes: ['session.state'] }));
      await store.webhooks.createEndpoint(endpoint('t-hook', 'wh_off', { disabled: true }));
      const s = sessionFixture('t-hook');
      await store.createSession(s, { wantsWork: true }, []);
      await store.mutateSession(s.id, () => ({
        change: { state: 'PLANNING', activities: [say('a'), say('b')] },
      }));
      await store.mutateSession(s.id, () => ({ change: { title: 'no state change' } }));
      // A change that aborts leaves nothing behind.
      await assert.rejects(
        store.mutateSession(s.id, () => {
          throw new Error('abort');
        }),
      );
      const seen: OutboxItem[] = [];
      assert.equal(await store.webhooks.fanOut(2, build(seen)), 2);
      assert.equal(await store.webhooks.fanOut(100, build(seen)), 2);
      assert.equal(await store.webhooks.fanOut(100, build(seen)), 0);
      assert.deepEqual(
        seen.map((i) => [i.kind, i.state ?? null, i.activity?.content.kind ?? null]).sort(),
        [
          ['activity', null, 'agentMessaged'],
          ['activity', null, 'agentMessaged'],
          ['created', 'QUEUED', null],
          ['state', 'PLANNING', null],
        ].sort(),
      );
      assert.equal(seen.find((i) => i.kind === 'state')?.previousState, 'QUEUED');
      assert.ok(seen.every((i) => i.session?.id === s.id && i.tenantId === 't-hook'));

      const all = await store.webhooks.listDeliveries('t-hook', 'wh_all', { limit: 100 });
      assert.equal(all.length, 4);
      assert.deepEqual(
        (await store.webhooks.listDeliveries('t-hook', 'wh_done', { limit: 100 })).map((d) => d.eventType),
        ['session.state'],
      );
      assert.deepEqual(await store.webhooks.listDeliveries('t-hook', 'wh_off', { limit: 100 }), []);
      assert.deepEqual(
        await store.webhooks.listDeliveries('t-other', 'wh_all', { limit: 100 }),
        [],
        'tenant-scoped',
      );

      await store.deleteSession(s.id);
      const gone: OutboxItem[] = [];
      await store.webhooks.fanOut(100, build(gone));
      assert.deepEqual(
        gone.map((i) => [i.kind, i.session]),
        [['deleted', undefined]],
      );
    });

    test('deliveries are leased, attempted, retried, finished and redelivered', async () => {
      // Clear what the previous test queued.
      for (
        let d = await store.webhooks.claimDue('sweep', 60_000, 100);
        d.length > 0;
        d = await store.webhooks.claimDue('sweep', 60_000, 100)
      ) {
        for (const x of d) {
          await store.webhooks.recordAttempt(x.delivery.id, 'sweep', {
            attempt: { time: nowMicros(), durationMs: 1, statusCode: 200 },
            status: 'succeeded',
          });
        }
      }
      await store.webhooks.createEndpoint(endpoint('t-send', 'wh_send'));
      const s = sessionFixture('t-send');
      await store.createSession(s, { wantsWork: false }, []);
      await store.webhooks.fanOut(100, build([]));
      const pendingAt = await store.webhooks.nextDueTime();
      assert.ok(pendingAt !== undefined && pendingAt <= nowMicros(), 'due now');

      const [due] = await store.webhooks.claimDue('a', 60_000, 10);
      assert.ok(due);
      assert.equal(await store.webhooks.nextDueTime(), undefined, 'leased: not due');
      assert.equal(due.url, 'http://127.0.0.1:9/wh_send');
      assert.equal(due.secret, 'whsec_dGVzdA==');
      assert.equal(JSON.parse(due.payload).kind, 'created');
      assert.deepEqual(await store.webhooks.claimDue('b', 60_000, 10), [], 'leased: nobody else takes it');
      assert.equal(await store.webhooks.releaseAllLeases(), 1);
      assert.equal(
        (await store.webhooks.claimDue('a', 60_000, 10))[0]?.delivery.id,
        due.delivery.id,
        'freed',
      );
      assert.equal(
        await store.webhooks.recordAttempt(due.delivery.id, 'b', {
          attempt: { time: nowMicros(), durationMs: 1 },
          status: 'failed',
        }),
        false,
        'only the lease holder records',
      );
      const retryAt = nowMicros() + 3_600_000_000;
      assert.ok(
        await store.webhooks.recordAttempt(due.delivery.id, 'a', {
          attempt: { time: nowMicros(), durationMs: 12, error: 'ECONNREFUSED' },
          status: 'pending',
          nextAttemptTime: retryAt,
        }),
      );
      assert.equal(await store.webhooks.nextDueTime(), retryAt);
      assert.deepEqual(await store.webhooks.claimDue('a', 60_000, 10), [], 'not due yet');

      const again = await store.webhooks.redeliver('t-send', 'wh_send', due.delivery.id);
      assert.equal(again?.status, 'pending');
      const [manual] = await store.webhooks.claimDue('c', 60_000, 10);
      assert.equal(manual?.delivery.id, due.delivery.id);
      await store.webhooks.recordAttempt(due.delivery.id, 'c', {
        attempt: { time: nowMicros(), durationMs: 3, statusCode: 204 },
        status: 'succeeded',
      });
      assert.equal(await store.webhooks.nextDueTime(), undefined, 'nothing pending');
      const got = await store.webhooks.getDelivery('t-send', 'wh_send', due.delivery.id);
      assert.equal(got?.delivery.status, 'succeeded');
      assert.equal(got?.delivery.attempts, 2);
      assert.deepEqual(
        got?.attempts.map((a) => [a.n, a.trigger, a.statusCode ?? a.error]),
        [
          [1, 'scheduled', 'ECONNREFUSED'],
          [2, 'manual', 204],
        ],
      );
      assert.equal(
        await store.webhooks.redeliver('t-other', 'wh_send', due.delivery.id),
        undefined,
        'tenant-scoped',
      );
      const counts = await store.webhooks.countDeliveries();
      assert.ok(counts.succeeded >= 1);
      assert.ok((await store.webhooks.purge(nowMicros() + 1)) >= 1);
      assert.equal(await store.webhooks.getDelivery('t-send', 'wh_send', due.delivery.id), undefined);
      assert.ok(await store.webhooks.deleteEndpoint('t-send', 'wh_send'));
    });

    test('idempotency keys: one reservation among concurrent ones, then the recorded response', async () => {
      const req = { tenantId: 't-idem', key: 'k', fingerprint: 'f', lockMs: 60_000, ttlMs: 60_000 };
      const results = await Promise.all(Array.from({ length: 10 }, () => store.idempotency.reserve(req)));
      assert.equal(results.filter((r) => r.reserved).length, 1);
      await store.idempotency.complete('t-idem', 'k', 'f', {
        statusCode: 200,
        response: '{"a":1}',
        contentType: 'application/json',
      });
      const again = await store.idempotency.reserve(req);
      assert.equal(again.reserved, false);
      assert.equal(!again.reserved && again.existing.state, 'done');
      assert.equal(!again.reserved && again.existing.response, '{"a":1}');
      assert.equal(
        (await store.idempotency.reserve({ ...req, tenantId: 't-idem-2' })).reserved,
        true,
        'per tenant',
      );
      await store.idempotency.release('t-idem-2', 'k', 'f');
      assert.equal(await store.idempotency.get('t-idem-2', 'k'), undefined);
      assert.equal((await store.idempotency.reserve({ ...req, key: 'short', ttlMs: 1 })).reserved, true);
      await new Promise((r) => setTimeout(r, 5));
      assert.equal(
        (await store.idempotency.reserve({ ...req, key: 'short', ttlMs: 1 })).reserved,
        true,
        'expired',
      );
      await new Promise((r) => setTimeout(r, 5));
      assert.ok((await store.idempotency.purgeExpired()) >= 1);
    });

    test('session feed and queue counts', async () => {
      const a = sessionFixture('t-feed');
      const b = sessionFixture('t-feed');
      await store.createSession(a, { wantsWork: true }, []);
      await store.createSession(b, { wantsWork: false }, []);
      await store.mutateSession(a.id, () => ({ change: { title: 'later' } }));
      const feed = await store.sessionFeed.changedAfter('t-feed', { time: 0 }, 10);
      assert.deepEqual(
        feed.map((s) => s.id),
        [b.id, a.id],
        'oldest change first',
      );
      const after = await store.sessionFeed.changedAfter(
        't-feed',
        { time: feed[0]!.updateTime, id: feed[0]!.id },
        10,
      );
      assert.deepEqual(
        after.map((s) => s.id),
        [a.id],
      );
      assert.ok((await store.stats.queueDepth()) >= 1);
      assert.equal(typeof (await store.stats.leasedSessions()), 'number');
    });
  });
}
