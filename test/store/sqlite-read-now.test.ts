/**
 * The hot session read runs at once on SQLite's connection, outside Kysely's driver: it must still
 * never see a write transaction's uncommitted rows (a write holds the connection across awaits).
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, test } from 'node:test';
import { openSqliteStore } from '../../src/store/sqlite/open.ts';
import { sqliteAdapter } from '../../src/store/sqlite/sqlite-adapter.ts';
import { sessionFixture } from '../contracts/store.contract.ts';
import { makeTempDir } from '../support/server.ts';

const dir = makeTempDir('stint-read-now-');
const store = await openSqliteStore({ dataDir: dir });
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Opens a write transaction that sets the title, then waits for `end` to commit or roll back. */
function openWrite(id: string, title: string) {
  let updated!: () => void;
  const written = new Promise<void>((r) => {
    updated = r;
  });
  let finish!: (commit: boolean) => void;
  const end = new Promise<boolean>((r) => {
    finish = r;
  });
  const done = sqliteAdapter.writeTransaction(store.db, async (trx) => {
    await trx.updateTable('sessions').set({ title }).where('id', '=', id).execute();
    updated();
    if (!(await end)) throw new Error('rolled back');
  });
  return { written, finish, done };
}

test('a read during an open write transaction waits for it and never sees an uncommitted row', async () => {
  const s = sessionFixture('t-read-now', { title: 'before' });
  await store.createSession(s, { wantsWork: false }, []);
  assert.equal((await store.getSession(s.id, 't-read-now'))?.session.title, 'before');

  const rolledBack = openWrite(s.id, 'uncommitted');
  await rolledBack.written;
  const during = store.getSession(s.id, 't-read-now');
  const duringById = store.getSession(s.id);
  rolledBack.finish(false);
  await assert.rejects(rolledBack.done, /rolled back/);
  assert.equal((await during)?.session.title, 'before');
  assert.equal((await duringById)?.session.title, 'before');

  const committed = openWrite(s.id, 'after');
  await committed.written;
  const waiting = store.getSession(s.id, 't-read-now');
  committed.finish(true);
  await committed.done;
  assert.equal((await waiting)?.session.title, 'after');
  assert.equal((await store.getSession(s.id, 't-read-now'))?.session.title, 'after');
});

test('the direct read keeps tenants apart', async () => {
  const s = sessionFixture('t-owner');
  await store.createSession(s, { wantsWork: false }, []);
  assert.equal(await store.getSession(s.id, 't-other'), undefined);
  assert.equal((await store.getSession(s.id, 't-owner'))?.session.id, s.id);
  assert.equal(await store.getSession('no-such-session', 't-owner'), undefined);
});
