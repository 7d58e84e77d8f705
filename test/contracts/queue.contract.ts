/** The WorkQueue contract: the in-process (SQLite) and PostgreSQL queues run this same suite. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { WorkQueue } from '../../src/queue/queue.ts';
import type { SessionEvents } from '../../src/services/events.ts';
import type { Backoff, Store } from '../../src/store/store.ts';
import { sessionFixture } from './store.contract.ts';

export interface QueueFixture {
  store: Store;
  events: SessionEvents;
  /** A queue on the fixture's store and events (every queue made is closed by the fixture). */
  queue(leaseMs: number, backoff: Backoff): Promise<WorkQueue>;
  close(): Promise<void>;
}

/** Long enough that nothing in a test waits for it: a wait that ends was woken. */
const HOUR = 3_600_000;
/** A failed attempt is not retried within the test. */
const LONG_BACKOFF: Backoff = { baseMs: HOUR, maxMs: HOUR };

export function runQueueContract(name: string, open: () => Promise<QueueFixture>): void {
  describe(`WorkQueue contract: ${name}`, () => {
    let fx: QueueFixture;
    let queue: WorkQueue;
    const never = new AbortController().signal;

    before(async () => {
      fx = await open();
      queue = await fx.queue(HOUR, LONG_BACKOFF);
    });
    after(async () => {
      await fx?.close();
    });

    async function wanting(): Promise<string> {
      const s = sessionFixture('t-queue');
      await fx.store.createSession(s, { wantsWork: true }, []);
      return s.id;
    }
    async function drain(): Promise<void> {
      for (let i = 0; i < 100 && (await queue.claim('drainer')); i++);
    }

    test('each session wanting work is leased to one owner at a time', async () => {
      await drain();
      const a = await wanting();
      const b = await wanting();
      const first = await queue.claim('w1');
      const second = await queue.claim('w2');
      assert.deepEqual(new Set([first, second]), new Set([a, b]));
      assert.equal(await queue.claim('w3'), undefined);
      assert.equal(await queue.heartbeat(first!, 'w1'), true);
      assert.equal(await queue.heartbeat(first!, 'w2'), false, 'only the holder renews');
    });

    test('a release by the holder frees the session; by anyone else it does nothing', async () => {
      await drain();
      const id = await wanting();
      assert.equal(await queue.claim('w1'), id);
      await queue.release(id, 'w2');
      assert.equal(await queue.claim('w3'), undefined, 'still leased to w1');
      await queue.release(id, 'w1');
      assert.equal(await queue.claim('w3'), id, 'it still wants work');
      await queue.release(id, 'w3', { kind: 'failed', error: 'boom' });
      assert.equal(await queue.claim('w4'), undefined, 'a failed attempt backs off');
    });

    test('an idle worker wakes on a work hint, also one given between its claim and its wait', async () => {
      await drain();
      const abort = new AbortController();
      const waiting = queue.waitForWork(HOUR, abort.signal);
      fx.events.emitWork(await wanting());
      await waiting;
      assert.ok(await queue.claim('w1'));
      fx.events.emitWork(await wanting());
      await queue.waitForWork(HOUR, never); // kept from before the wait
      abort.abort();
    });

    test('a release wakes a local idle worker; abort and close end a wait', async () => {
      await drain();
      const id = await wanting();
      assert.equal(await queue.claim('w1'), id);
      const waiting = queue.waitForWork(HOUR, never);
      await queue.release(id, 'w1');
      await waiting;
      await drain();
      const abort = new AbortController();
      const aborted = queue.waitForWork(HOUR, abort.signal);
      abort.abort();
      await aborted;
      const other = await fx.queue(HOUR, LONG_BACKOFF);
      const closing = other.waitForWork(HOUR, never);
      await other.close();
      await closing;
    });

    test('recover() makes the lease of a dead worker claimable once it expired', async () => {
      await drain();
      // A claim counts as a failed attempt until released: a dead worker's session waits its backoff too.
      const short = await fx.queue(1000, { baseMs: 1, maxMs: 1 });
      const id = await wanting();
      assert.equal(await short.claim('dead'), id);
      const deadline = Date.now() + 120_000;
      for (;;) {
        await short.recover();
        const got = await short.claim('alive');
        if (got !== undefined) {
          assert.equal(got, id);
          break;
        }
        assert.ok(Date.now() < deadline, 'the expired lease never became claimable');
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(await short.heartbeat(id, 'dead'), false, 'the dead worker lost it');
    });
  });
}
