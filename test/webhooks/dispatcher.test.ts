/** The dispatcher on its own: retries with backoff on 5xx, gives up after the window, signs every attempt. */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { Webhook } from 'standardwebhooks';
import { SessionEvents } from '../../src/services/events.ts';
import type { SqlStore } from '../../src/store/sql/sql-store.ts';
import { openSqliteStore } from '../../src/store/sqlite/open.ts';
import { parseAllowlist } from '../../src/webhooks/address-filter.ts';
import { retryDelayMs, withinWindow } from '../../src/webhooks/backoff.ts';
import { type DeliveryOutcome, WebhookDispatcher } from '../../src/webhooks/dispatcher.ts';
import { parseEventFilter } from '../../src/webhooks/event-types.ts';
import { WebhookService } from '../../src/webhooks/webhook-service.ts';
import { sessionFixture } from '../contracts/store.contract.ts';
import { waitUntil } from '../support/server.ts';

/** The receivers are on loopback: webhooks reach them only because the allowlist says so. */
const loopbackAllowed = { allowPrivate: parseAllowlist('127.0.0.1/32') };
let store: SqlStore;
let receiver: Server;
let url = '';
const answers: number[] = [];
const received: { headers: Record<string, string>; body: string }[] = [];

before(async () => {
  store = await openSqliteStore({ dataDir: ':memory:' });
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      received.push({
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
        body,
      });
      res.writeHead(answers.shift() ?? 200).end('thanks');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
});
after(async () => {
  await new Promise((r) => receiver.close(r));
  await store.close();
});

test('backoff doubles up to the cap, with jitter; the window bounds retries; event filters', () => {
  const policy = { baseMs: 1000, maxMs: 8000, windowMs: 60_000 };
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(n, policy, () => 0.5)),
    [1000, 2000, 4000, 8000, 8000, 8000],
  );
  assert.equal(
    retryDelayMs(1, policy, () => 0),
    900,
  );
  assert.equal(
    retryDelayMs(1, policy, () => 1),
    1100,
  );
  assert.equal(withinWindow(0, 59_999, policy), true);
  assert.equal(withinWindow(0, 60_000, policy), false);
  assert.deepEqual(parseEventFilter(['session.*', 'activity.created', 'session.*']), [
    'session.*',
    'activity.created',
  ]);
  assert.throws(() => parseEventFilter(['session.exploded']), /unknown event type/);
});

test('5xx answers are retried until a 2xx; after the window the delivery fails; each attempt is signed and logged', async () => {
  const events = new SessionEvents();
  const outcomes: DeliveryOutcome[] = [];
  // The retry window is long while retries must succeed (a busy machine cannot close it early),
  // then short for the receiver that keeps failing.
  const make = (windowMs: number) =>
    new WebhookDispatcher(
      {
        store,
        events,
        log: pino({ level: 'silent' }),
        baseUrl: () => 'http://stint.test',
        onAttempt: (o) => outcomes.push(o),
      },
      { retry: { baseMs: 20, maxMs: 40, windowMs }, pollMs: 50, targets: loopbackAllowed },
    );
  let dispatcher = make(600_000);
  const service = new WebhookService(store, () => dispatcher.wake(), loopbackAllowed);
  const endpoint = await service.create('t1', { url, eventTypes: ['session.created'] });
  dispatcher.start();
  try {
    answers.push(500, 503);
    await store.createSession(sessionFixture('t1'), { wantsWork: false }, []);
    events.emitChanged({ session: sessionFixture('t1'), activities: [] }); // a hint; the outbox is the truth
    await waitUntil(() => outcomes.includes('succeeded'), 120_000, 10);
    assert.deepEqual(outcomes, ['retrying', 'retrying', 'succeeded']);
    assert.equal(received.length, 3);
    const ids = new Set(received.map((r) => r.headers['webhook-id']));
    assert.equal(ids.size, 1, 'the same webhook-id on every attempt');
    for (const r of received) {
      const event = new Webhook(endpoint.secret).verify(r.body, r.headers) as any;
      assert.equal(event.type, 'session.created');
      assert.equal(event.data.session.url.startsWith('http://stint.test/sessions/'), true);
    }
    const [d] = await service.listDeliveries('t1', endpoint.id, { limit: 10 });
    const log = await service.getDelivery('t1', endpoint.id, d!.id);
    assert.deepEqual(
      log.attempts.map((a) => a.statusCode),
      [500, 503, 200],
    );
    // Status and timing only: what the receiver answered is never stored.
    assert.equal(log.attempts[2]!.responseBody, undefined);
    assert.doesNotMatch(JSON.stringify(log), /thanks/);

    // A receiver that keeps failing: retried until the window closes, then FAILED.
    await dispatcher.stop();
    dispatcher = make(3000);
    dispatcher.start();
    answers.push(...Array(1000).fill(500));
    outcomes.length = 0;
    const test = await service.sendTest('t1', endpoint.id);
    await waitUntil(() => outcomes.includes('failed'), 120_000, 10);
    answers.length = 0;
    const failed = await service.getDelivery('t1', endpoint.id, test.id);
    assert.equal(failed.delivery.status, 'failed');
    assert.ok(failed.attempts.length >= 2);
    assert.ok(
      failed.attempts.at(-1)!.time - failed.delivery.windowStart >= 3_000_000,
      'tried for the whole window',
    );
    assert.equal(failed.delivery.nextAttemptTime, undefined);
  } finally {
    await dispatcher.stop();
  }
});
