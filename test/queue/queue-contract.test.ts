/** The WorkQueue contract on both queues: in-process over SQLite, and PostgreSQL (embedded). */
import { pino } from 'pino';
import { InProcessQueue } from '../../src/queue/in-process/in-process-queue.ts';
import { startPostgresCoordination } from '../../src/queue/postgres/index.ts';
import type { WorkQueue } from '../../src/queue/queue.ts';
import { SessionEvents } from '../../src/services/events.ts';
import { openPostgresStore } from '../../src/store/postgres/open.ts';
import { openSqliteStore } from '../../src/store/sqlite/open.ts';
import { runQueueContract } from '../contracts/queue.contract.ts';
import { createTestDatabase } from '../support/postgres.ts';

runQueueContract('in-process (SQLite)', async () => {
  const store = await openSqliteStore({ dataDir: ':memory:' });
  const events = new SessionEvents();
  const queues: WorkQueue[] = [];
  return {
    store,
    events,
    async queue(leaseMs, backoff) {
      const q = new InProcessQueue(store, events, leaseMs, backoff);
      queues.push(q);
      return q;
    },
    async close() {
      for (const q of queues) await q.close();
      await store.close();
    },
  };
});

runQueueContract('postgres', async () => {
  const database = await createTestDatabase();
  const store = await openPostgresStore({ url: database.url });
  const events = new SessionEvents();
  const closers: (() => Promise<void>)[] = [];
  return {
    store,
    events,
    async queue(leaseMs, backoff) {
      const c = await startPostgresCoordination({
        url: database.url,
        store,
        events,
        log: pino({ level: 'silent' }),
        leaseMs,
        backoff,
        forwardChanges: false,
        isDriving: () => false,
      });
      closers.push(() => c.close());
      return c.queue;
    },
    async close() {
      for (const c of closers) await c();
      await store.close();
      await database.cleanup();
    },
  };
});
