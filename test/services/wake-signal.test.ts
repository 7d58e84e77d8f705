/** The queues' and the live views' one wake-up primitive: no hint lost between a look and a wait. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SessionEvents } from '../../src/services/events.ts';
import { ChangeSignal, WakeSignal } from '../../src/services/wake-signal.ts';
import { sessionFixture } from '../contracts/store.contract.ts';

const HOUR = 3_600_000;

test('a hint while nobody waits is kept for the next wait, once; clear() drops it', async () => {
  const s = new WakeSignal();
  const never = new AbortController().signal;
  s.wake();
  await s.wait(HOUR, never); // at once: kept
  s.wake();
  s.clear();
  const abort = new AbortController();
  const waiting = s.wait(HOUR, abort.signal);
  let settled = false;
  void waiting.then(() => {
    settled = true;
  });
  await new Promise((r) => setImmediate(r));
  assert.equal(settled, false, 'the cleared hint does not wake');
  s.wake();
  await waiting; // woken by the new hint
  const again = new AbortController();
  const next = s.wait(HOUR, again.signal);
  again.abort();
  await next; // the hint that woke the last wait was consumed; only the abort ends this one
});

test('a hint wakes every waiter; releaseAll() ends them all', async () => {
  const s = new WakeSignal();
  const never = new AbortController().signal;
  const both = Promise.all([s.wait(HOUR, never), s.wait(HOUR, never)]);
  s.wake();
  await both;
  const more = Promise.all([s.wait(HOUR, never), s.wait(HOUR, never)]);
  s.releaseAll();
  await more;
});

test('a ChangeSignal wakes on matching session changes only, and keeps one seen before the wait', async () => {
  const events = new SessionEvents();
  const mine = sessionFixture('t');
  const other = sessionFixture('t');
  const changes = new ChangeSignal(events, (c) => c.session.id === mine.id);
  const never = new AbortController().signal;
  try {
    events.emitChanged({ session: mine, activities: [] });
    await changes.wait(HOUR, never);
    const abort = new AbortController();
    const waiting = changes.wait(HOUR, abort.signal);
    events.emitChanged({ session: other, activities: [] });
    let settled = false;
    void waiting.then(() => {
      settled = true;
    });
    await new Promise((r) => setImmediate(r));
    assert.equal(settled, false);
    events.emitChanged({ session: mine, activities: [] });
    await waiting;
  } finally {
    changes.close();
  }
});
