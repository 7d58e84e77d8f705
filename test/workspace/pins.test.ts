// Base commits pinned per commit and counted in the store: sessions on one commit share one ref,
// the refs are packed, the janitor's sweep works from the store's counts (no lookup per session),
// a commit pinned again while its ref is being dropped keeps it, and the per-session refs of
// earlier versions are moved into the store once. Real git and a real SQLite store.
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { PinStore } from '../../src/store/pin-store.ts';
import type { SqlStore } from '../../src/store/sql/sql-store.ts';
import { openSqliteStore } from '../../src/store/sqlite/open.ts';
import { MirrorPins } from '../../src/workspace/mirror/pins.ts';
import { Workspaces } from '../../src/workspace/workspaces.ts';
import { sessionFixture } from '../contracts/store.contract.ts';
import { createRemote, git, makeTempDir, type Remote } from './helpers.ts';

let tmp: { path: string; cleanup(): Promise<void> };
let remote: Remote;
let store: SqlStore;
const open: Workspaces[] = [];

before(async () => {
  tmp = await makeTempDir();
  remote = await createRemote(tmp.path);
  store = await openSqliteStore({ dataDir: join(tmp.path, 'data') });
});
after(async () => {
  for (const w of open) await w.close();
  await store.close();
  await tmp.cleanup();
});

function workspaces(name: string, pins: PinStore = store.pins): Workspaces {
  const w = new Workspaces({
    dir: join(tmp.path, name),
    poolSize: 0,
    poolIdleMs: 3600_000,
    maxPooledCheckouts: 0,
    pins: new MirrorPins(pins),
  });
  open.push(w);
  return w;
}

const source = () => ({
  identity: { tenantId: 'default', sourceId: 'github/acme/demo', url: remote.url },
  remote: { url: remote.url, env: {} },
  branch: 'main',
});

async function newSession(): Promise<string> {
  const s = sessionFixture('t-pins');
  await store.createSession(s, { wantsWork: false }, []);
  return s.id;
}

async function stintRefs(gitDir: string): Promise<string[]> {
  const out = await git(gitDir, 'for-each-ref', '--format=%(refname)', 'refs/stint/');
  return out.split('\n').filter(Boolean);
}

async function looseStintRefs(gitDir: string): Promise<number> {
  const walk = async (dir: string): Promise<number> => {
    let n = 0;
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      n += e.isDirectory() ? await walk(join(dir, e.name)) : 1;
    }
    return n;
  };
  return walk(join(gitDir, 'refs', 'stint'));
}

test('sessions on one base commit share one ref, counted in the store; it goes with the last session', async () => {
  const ws = workspaces('shared');
  const ids = [await newSession(), await newSession(), await newSession()];
  for (const id of ids) await ws.prepare({ sessionId: id, source: source() });
  const mirror = ws.mirrors.get(source().identity);
  assert.deepEqual(await stintRefs(mirror.dir), [`refs/stint/commit/${remote.mainCommit}`]);
  const key = await new MirrorPins(store.pins).keyOf(mirror);
  assert.deepEqual(await store.pins.pinCounts(key), { [remote.mainCommit]: 3 });

  // The sweep asks the store, never about each session.
  let lookups = 0;
  const getSession = store.getSession.bind(store);
  store.getSession = async (...args) => {
    lookups++;
    return getSession(...args);
  };
  try {
    await store.deleteSession(ids[0]!);
    await store.deleteSession(ids[1]!);
    await ws.prunePins();
    assert.deepEqual(await stintRefs(mirror.dir), [`refs/stint/commit/${remote.mainCommit}`]);
    await store.deleteSession(ids[2]!);
    await ws.prunePins();
    assert.deepEqual(await stintRefs(mirror.dir), []);
    assert.deepEqual(await store.pins.pinCounts(key), {});
    assert.equal(lookups, 0);
  } finally {
    store.getSession = getSession;
  }
  // A later session pins it again.
  const next = await newSession();
  await ws.remove(ids[0]!);
  await ws.prepare({ sessionId: next, source: source() });
  assert.deepEqual(await stintRefs(mirror.dir), [`refs/stint/commit/${remote.mainCommit}`]);
});

test('a commit pinned again while the sweep drops its ref keeps its ref', async () => {
  let hook: (() => Promise<void>) | undefined;
  // Stops the sweep between deleting the ref and forgetting the commit in the store.
  const hooked: PinStore = {
    addPin: (...a) => store.pins.addPin(...a),
    addPins: (...a) => store.pins.addPins(...a),
    unreferencedPins: (...a) => store.pins.unreferencedPins(...a),
    pinCounts: (...a) => store.pins.pinCounts(...a),
    dropPin: async (...a) => {
      const h = hook;
      hook = undefined;
      await h?.();
      return store.pins.dropPin(...a);
    },
  };
  const ws = workspaces('race', hooked);
  const first = await newSession();
  await ws.prepare({ sessionId: first, source: source() });
  const mirror = ws.mirrors.get(source().identity);
  await store.deleteSession(first);
  const second = await newSession();
  let refsDuring: string[] = [];
  hook = async () => {
    refsDuring = await stintRefs(mirror.dir);
    await ws.prepare({ sessionId: second, source: source() });
  };
  await ws.prunePins();
  assert.deepEqual(refsDuring, [], 'the hook ran after the ref was deleted');
  assert.deepEqual(await stintRefs(mirror.dir), [`refs/stint/commit/${remote.mainCommit}`]);
  const key = await new MirrorPins(store.pins).keyOf(mirror);
  assert.deepEqual(await store.pins.pinCounts(key), { [remote.mainCommit]: 1 });
});

test('pin refs are packed once a few are loose', async () => {
  const ws = workspaces('packed');
  const first = await newSession();
  await ws.prepare({ sessionId: first, source: source() });
  const mirror = ws.mirrors.get(source().identity);
  const pins = new MirrorPins(store.pins);
  const tree = await git(mirror.dir, 'rev-parse', `${remote.mainCommit}^{tree}`);
  for (let i = 0; i < 80; i++) {
    const commit = (
      await git(mirror.dir, 'commit-tree', tree, '-p', remote.mainCommit, '-m', `c${i}`)
    ).trim();
    await pins.pin(mirror, await newSession(), commit);
  }
  assert.equal((await stintRefs(mirror.dir)).length, 81);
  assert.ok((await looseStintRefs(mirror.dir)) < 64, 'at most a few pin refs are loose');
});

test('the per-session refs of earlier versions move into the store once, for sessions that exist', async () => {
  const ws = workspaces('legacy');
  const kept = await newSession();
  await ws.prepare({ sessionId: kept, source: source() });
  const mirror = ws.mirrors.get(source().identity);
  // What an earlier Stint left: base/<session> per session, pushed/<session> after publishing.
  await git(mirror.dir, 'update-ref', `refs/stint/base/${kept}`, remote.mainCommit);
  await git(mirror.dir, 'update-ref', 'refs/stint/base/gone1', remote.featureCommit);
  await git(mirror.dir, 'update-ref', `refs/stint/pushed/${kept}`, remote.featureCommit);
  const fresh = new Workspaces({
    dir: join(tmp.path, 'legacy'),
    poolSize: 0,
    poolIdleMs: 3600_000,
    maxPooledCheckouts: 0,
    pins: new MirrorPins(store.pins),
  });
  open.push(fresh);
  await fresh.prunePins();
  assert.deepEqual(await stintRefs(mirror.dir), [`refs/stint/commit/${remote.mainCommit}`]);
  const key = await new MirrorPins(store.pins).keyOf(mirror);
  assert.deepEqual(await store.pins.pinCounts(key), { [remote.mainCommit]: 1 });
});
