/** The list's paging and title search over a real store. */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { ScriptedAgent } from '../../src/agents/scripted/scripted-agent.ts';
import { SessionEvents } from '../../src/services/events.ts';
import { type Principal, SessionService } from '../../src/services/session-service.ts';
import { SourceService } from '../../src/services/source-service.ts';
import { openSqliteStore } from '../../src/store/sqlite/open.ts';
import type { Store } from '../../src/store/store.ts';
import { searchSessions } from '../../src/web/session-search.ts';
import { makeTempDir } from '../support/server.ts';

const who: Principal = { tenantId: 'acme', keyId: 'k', role: 'member' };
let dir: string;
let store: Store;
let sessions: SessionService;

before(async () => {
  dir = makeTempDir('stint-web-search-');
  store = await openSqliteStore({ dataDir: dir });
  await store.ensureTenant('acme', 'acme');
  await store.ensureTenant('other', 'other');
  sessions = new SessionService(store, new SourceService(store), new ScriptedAgent(), new SessionEvents(), {
    maxPromptBytes: 10_000,
  });
  // 120 sessions, oldest first; every tenth is "Special".
  for (let i = 0; i < 120; i++) {
    await sessions.create(who, { prompt: `p${i}`, title: i % 10 === 0 ? `Special task ${i}` : `task ${i}` });
  }
  await sessions.create({ ...who, tenantId: 'other' }, { prompt: 'x', title: 'Special elsewhere' });
});
after(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const titles = (p: { sessions: { title: string }[] }) => p.sessions.map((s) => s.title);

test('pages follow each other without gaps or repeats', async () => {
  const seen: string[] = [];
  let after: { createTime: number; id: string } | undefined;
  for (let i = 0; i < 10; i++) {
    const page = await searchSessions(sessions, who, { title: '', archived: false, after, pageSize: 50 });
    seen.push(...titles(page));
    after = page.next;
    if (!after) break;
  }
  assert.equal(seen.length, 120);
  assert.equal(new Set(seen).size, 120);
  assert.equal(seen[0], 'task 119');
});

test('title search is case-insensitive, tenant-scoped and pages by the last match', async () => {
  const first = await searchSessions(sessions, who, { title: 'SPECIAL', archived: false, pageSize: 5 });
  assert.deepEqual(
    titles(first),
    [110, 100, 90, 80, 70].map((n) => `Special task ${n}`),
  );
  assert.ok(first.next && !first.cut);
  const second = await searchSessions(sessions, who, {
    title: 'special',
    archived: false,
    after: first.next,
    pageSize: 10,
  });
  assert.deepEqual(
    titles(second),
    [60, 50, 40, 30, 20, 10, 0].map((n) => `Special task ${n}`),
  );
  assert.equal(second.next, undefined);
});

test('a search that scans its budget says so and continues where it stopped', async () => {
  const first = await searchSessions(sessions, who, { title: 'special', archived: false, pageSize: 20 }, 100);
  assert.equal(first.cut, true);
  assert.equal(first.sessions.length, 10);
  const rest = await searchSessions(
    sessions,
    who,
    { title: 'special', archived: false, after: first.next, pageSize: 20 },
    100,
  );
  assert.deepEqual(titles(rest), ['Special task 10', 'Special task 0']);
  assert.equal(rest.cut, false);
});
