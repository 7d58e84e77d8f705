/**
 * The PostgreSQL queue and event bridge, with two stores on one database standing in for two
 * processes (an API and a worker): NOTIFY wake-ups, lease recovery, reconnects, cross-process events.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { pino } from 'pino';
import type { Activity } from '../../src/domain/activity.ts';
import { SESSION_CHANNEL, SessionEventBridge } from '../../src/queue/postgres/event-bridge.ts';
import { type PostgresCoordination, startPostgresCoordination } from '../../src/queue/postgres/index.ts';
import { PgListener } from '../../src/queue/postgres/pg-listener.ts';
import { type SessionChanged, SessionEvents } from '../../src/services/events.ts';
import { openPostgresStore } from '../../src/store/postgres/open.ts';
import type { SqlStore } from '../../src/store/sql/sql-store.ts';
import type { Store } from '../../src/store/store.ts';
import { sessionFixture } from '../contracts/store.contract.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';

const log = pino({ level: 'silent' });
const say = (text: string) => ({
  originator: 'agent' as const,
  content: { kind: 'agentMessaged' as const, agentMessage: text },
});

/** Resolves with 'woken' if p settles first, 'timeout' after ms (a bound, not a speed requirement). */
async function within(p: Promise<unknown>, ms: number): Promise<'woken' | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const r = await Promise.race([
    p.then(() => 'woken' as const),
    new Promise<'timeout'>((res) => {
      timer = setTimeout(() => res('timeout'), ms);
    }),
  ]);
  clearTimeout(timer);
  return r;
}

async function until(fn: () => boolean, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

// A waiter's fallback poll is an hour, so being woken within WOKEN_MS (which only bounds a hang on a
// busy machine) can only be the NOTIFY's doing.
const POLL_MS = 3_600_000;
const WOKEN_MS = 120_000;

describe('PostgreSQL queue and event bridge', () => {
  let database: TestDatabase;
  let apiStore: SqlStore;
  let workerStore: SqlStore;
  let apiEvents: SessionEvents;
  let workerEvents: SessionEvents;
  let api: PostgresCoordination;
  let worker: PostgresCoordination;
  const driving = new Set<string>();
  const abort = new AbortController();

  before(async () => {
    database = await createTestDatabase();
    apiStore = await openPostgresStore({ url: database.url });
    workerStore = await openPostgresStore({ url: database.url });
    apiEvents = new SessionEvents();
    workerEvents = new SessionEvents();
    api = await startPostgresCoordination({
      url: database.url,
      store: apiStore,
      events: apiEvents,
      log,
      leaseMs: 60_000,
      forwardChanges: true,
      isDriving: () => false,
    });
    worker = await startPostgresCoordination({
      url: database.url,
      store: workerStore,
      events: workerEvents,
      log,
      leaseMs: 60_000,
      forwardChanges: false,
      isDriving: (id) => driving.has(id),
    });
  });

  after(async () => {
    abort.abort();
    await api?.close();
    await worker?.close();
    await apiStore?.close();
    await workerStore?.close();
    await database?.cleanup();
  });

  async function drain(): Promise<void> {
    for (let i = 0; i < 100 && (await worker.queue.claim('drainer')); i++);
  }

  test('an idle worker is woken by the NOTIFY of a session created by another process', async () => {
    await drain();
    const waiting = worker.queue.waitForWork(POLL_MS, abort.signal);
    const s = sessionFixture('t-wake');
    await apiStore.createSession(s, { wantsWork: true }, []);
    assert.equal(await within(waiting, WOKEN_MS), 'woken');
    assert.equal(await worker.queue.claim('w1'), s.id);
    await workerStore.mutateSession(s.id, () => ({ change: { wantsWork: false } }), { leaseOwner: 'w1' });
    await worker.queue.release(s.id, 'w1');
  });

  test('a released session that still wants work wakes the other workers', async () => {
    await drain();
    const s = sessionFixture('t-release');
    await apiStore.createSession(s, { wantsWork: true }, []);
    assert.equal(await api.queue.claim('w-a'), s.id);
    await worker.queue.claim('nothing'); // clears earlier hints
    const waiting = worker.queue.waitForWork(POLL_MS, abort.signal);
    await api.queue.release(s.id, 'w-a');
    assert.equal(await within(waiting, WOKEN_MS), 'woken');
    assert.equal(await worker.queue.claim('w-b'), s.id);
    await workerStore.mutateSession(s.id, () => ({ change: { wantsWork: false } }));
  });

  test('recover() frees expired leases and keeps live ones of other workers', async () => {
    await drain();
    const live = sessionFixture('t-recover');
    const dead = sessionFixture('t-recover');
    await apiStore.createSession(live, { wantsWork: true }, []);
    await apiStore.createSession(dead, { wantsWork: true }, []);
    assert.equal(await apiStore.claimSession('alive', 60_000), live.id);
    // (A 1 ms backoff: this test is about leases, not about waiting before a retry.)
    assert.equal(await apiStore.claimSession('crashed', 1, { baseMs: 1, maxMs: 1 }), dead.id);
    await new Promise((r) => setTimeout(r, 10));
    await worker.queue.recover();
    assert.equal((await workerStore.getSession(dead.id))!.work.wantsWork, true);
    assert.equal(await worker.queue.heartbeat(live.id, 'alive'), true);
    assert.equal(await worker.queue.heartbeat(dead.id, 'crashed'), false);
    assert.equal(await worker.queue.claim('w-c'), dead.id);
    for (const s of [live, dead])
      await apiStore.mutateSession(s.id, () => ({ change: { wantsWork: false } }));
  });

  test('the listener reconnects after its connection is killed, wakes waiters, and hears NOTIFYs again', async () => {
    await drain();
    await worker.queue.claim('nothing');
    const woken = worker.queue.waitForWork(POLL_MS, abort.signal);
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      const { rowCount } = await admin.query(
        "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'stint-listener' and datname = current_database()",
      );
      assert.equal(rowCount, 2, 'both coordination listeners were connected');
    } finally {
      await admin.end();
    }
    assert.equal(await within(woken, WOKEN_MS), 'woken', 'waiters are woken after a reconnect');
    // Once the connection is back, NOTIFYs arrive again.
    // Until the listener is back a NOTIFY is lost, so retry; each try waits longer (a busy machine).
    for (let attempt = 0; attempt < 20; attempt++) {
      await worker.queue.claim('nothing');
      const waiting = worker.queue.waitForWork(POLL_MS, abort.signal);
      const s = sessionFixture('t-reconnect');
      await apiStore.createSession(s, { wantsWork: true }, []);
      const r = await within(waiting, Math.min(300 * 2 ** attempt, 30_000));
      await apiStore.mutateSession(s.id, () => ({ change: { wantsWork: false } }));
      if (r === 'woken') return;
    }
    assert.fail('no NOTIFY heard after reconnecting');
  });

  test("another process's changes reach live views here, with their activities, once", async () => {
    const seen: SessionChanged[] = [];
    const off = apiEvents.onChanged((c) => seen.push(c));
    try {
      const s = sessionFixture('t-bridge');
      // Written here and announced locally, as the API does: not repeated by the bridge.
      await apiStore.createSession(s, { wantsWork: false }, []);
      const local = await apiStore.mutateSession(s.id, () => ({ change: { activities: [say('local')] } }));
      apiEvents.emitChanged({ session: local!.record.session, activities: local!.activities });
      // Written by the worker process.
      await workerStore.mutateSession(s.id, () => ({
        change: { state: 'PLANNING', activities: [say('w1'), say('w2')] },
      }));
      await workerStore.mutateSession(s.id, () => ({ change: { activities: [say('w3')] } }));
      const texts = () =>
        seen
          .filter((c) => c.session.id === s.id)
          .flatMap((c) =>
            c.activities.map((a: Activity) => (a.content as { agentMessage: string }).agentMessage),
          );
      await until(() => texts().length >= 4);
      await api.bridge.settled();
      assert.deepEqual(texts(), ['local', 'w1', 'w2', 'w3']);
      const last = seen.filter((c) => c.session.id === s.id).at(-1)!;
      assert.equal(last.session.state, 'PLANNING');
    } finally {
      off();
    }
  });

  test("a notice handled before this process announced its own change does not repeat it, nor carry this process's later activities", async () => {
    // A bridge whose store reads wait at a gate: the test decides what the store holds when the
    // bridge handles a notice, which on a busy machine is any interleaving.
    let open!: () => void;
    let gate = new Promise<void>((r) => {
      open = r;
    });
    let reads = 0;
    const gated = {
      writerId: apiStore.writerId,
      async getSession(id: string, tenantId?: string) {
        reads++;
        await gate;
        return apiStore.getSession(id, tenantId);
      },
      listActivities: (id: string, page: Parameters<Store['listActivities']>[1]) =>
        apiStore.listActivities(id, page),
    } as unknown as Store;
    const events = new SessionEvents();
    const listener = new PgListener(database.url, [SESSION_CHANNEL], log);
    await listener.start();
    const bridge = new SessionEventBridge(gated, listener, events, {
      forwardChanges: true,
      isDriving: () => false,
      onError: (e) => assert.fail(String(e)),
    });
    const seen: SessionChanged[] = [];
    events.onChanged((c) => seen.push(c));
    const texts = () =>
      seen.flatMap((c) =>
        c.activities.map((a: Activity) => (a.content as { agentMessage: string }).agentMessage),
      );
    try {
      const s = sessionFixture('t-bridge-race');
      // This process creates the session and appends an activity, and has not announced either when
      // the worker's change is handled: the create's notice (from 0) must not forward 'local'.
      await apiStore.createSession(s, { wantsWork: false }, []);
      const local = await apiStore.mutateSession(s.id, () => ({ change: { activities: [say('local')] } }));
      await workerStore.mutateSession(s.id, () => ({ change: { activities: [say('w1'), say('w2')] } }));
      await until(() => reads >= 1);
      open();
      await until(() => texts().length >= 2);
      await bridge.settled();
      events.emitChanged({ session: local!.record.session, activities: local!.activities });
      assert.deepEqual(texts(), ['w1', 'w2', 'local']);

      // The worker appends w3; before its notice is handled, this process appends 'later' (not yet
      // announced): the forwarded change carries w3 only.
      reads = 0;
      gate = new Promise<void>((r) => {
        open = r;
      });
      await workerStore.mutateSession(s.id, () => ({ change: { activities: [say('w3')] } }));
      const later = await apiStore.mutateSession(s.id, () => ({ change: { activities: [say('later')] } }));
      await until(() => reads >= 1);
      open();
      await until(() => texts().length >= 4);
      await bridge.settled();
      events.emitChanged({ session: later!.record.session, activities: later!.activities });
      assert.deepEqual(texts(), ['w1', 'w2', 'local', 'w3', 'later']);
    } finally {
      open();
      bridge.close();
      await listener.close();
    }
  });

  test('pausing or deleting a session elsewhere stops its agent here; a stale notice does not', async () => {
    const stopped: string[] = [];
    const off = workerEvents.onStopped((id) => stopped.push(id));
    try {
      const paused = sessionFixture('t-stop', { state: 'IN_PROGRESS' });
      const deleted = sessionFixture('t-stop', { state: 'IN_PROGRESS' });
      const resumed = sessionFixture('t-stop', { state: 'IN_PROGRESS' });
      for (const s of [paused, deleted, resumed]) {
        await apiStore.createSession(s, { wantsWork: false }, []);
        driving.add(s.id);
      }
      await apiStore.mutateSession(paused.id, () => ({ change: { state: 'PAUSED' } }));
      await apiStore.deleteSession(deleted.id);
      // Paused and resumed in one transaction: the PAUSED notice arrives when the store already says
      // IN_PROGRESS, so it must not stop the agent.
      const admin = new pg.Client({ connectionString: database.url });
      await admin.connect();
      try {
        await admin.query(`begin;
          update sessions set state = 'PAUSED', update_time = update_time + 1 where id = '${resumed.id}';
          update sessions set state = 'IN_PROGRESS', update_time = update_time + 1 where id = '${resumed.id}';
          commit`);
      } finally {
        await admin.end();
      }
      await until(() => stopped.includes(paused.id) && stopped.includes(deleted.id));
      await worker.bridge.settled();
      assert.equal(stopped.includes(resumed.id), false);
    } finally {
      off();
    }
  });
});
