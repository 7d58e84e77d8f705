/**
 * Tenant isolation, table-driven over every registered route: with tenant A's keys (member and
 * admin), every endpoint that names tenant B's session, activity or source answers exactly as it
 * would for one that does not exist (404), nothing of B's shows up in any answer, and B's session
 * is unchanged afterwards. Routes are read from the running app, so new ones are covered too.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { makeBareRepo } from '../support/git-fixtures.ts';
import { startTestStint, type TestStint } from './helpers.ts';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
const KNOWN_VERBS = ['approvePlan', 'sendMessage', 'archive', 'unarchive', 'pause', 'resume', 'cancel'];

interface Route {
  method: (typeof METHODS)[number];
  path: string;
}

/** Every route of the app, from Fastify's route tree printed per method. */
export function listRoutes(app: FastifyInstance): Route[] {
  const routes: Route[] = [];
  for (const method of METHODS) {
    const tree = app.printRoutes({ method, commonPrefix: false });
    const stack: string[] = [];
    for (const line of tree.split('\n')) {
      const m = /^([│ ]*)[├└]── (\S+)(?: \(([^)]*)\))?/.exec(line.replace(/\u00a0/g, ' '));
      if (!m) continue;
      const depth = m[1]!.length / 4;
      stack.length = depth;
      // A node shared by routes with different parameter names prints as `/:idVerb|:id`.
      const node = m[2]!;
      const variants = node.includes('|')
        ? node.split('|').map((v, i) => (i === 0 ? v : `${node.slice(0, node.indexOf(':'))}${v}`))
        : [node];
      const prefix = stack.join('');
      // Deeper routes hang off the plain parameter (`:id`), not the custom-verb one.
      stack.push(variants.find((v) => !/Verb$/.test(v)) ?? variants[0]!);
      if (!m[3]?.split(', ').includes(method)) continue;
      for (const v of variants) routes.push({ method, path: `${prefix}${v}` });
    }
  }
  return routes;
}

const MARK = `isolation-marker-${Date.now()}`;

let t: TestStint;
let bare: string;
let keyA: string;
let adminA: string;
let keyB: string;
let bSession: string;
let bActivity: string;
const bSource = 'github/bco/private-repo';
const FAKE_SESSION = '9999999999999999999';
const FAKE_ACTIVITY = 'ffffffffffffffff';

before(async () => {
  t = await startTestStint();
  bare = makeBareRepo();
  const store = t.stint.store;
  keyA = await t.key('tenant-a');
  adminA = await t.key('tenant-a', 'admin');
  keyB = await t.key('tenant-b');
  await store.putSource({
    tenantId: 'tenant-b',
    id: bSource,
    gitUrl: bare,
    isPrivate: true,
    config: {},
    createTime: Date.now() * 1000,
  });
  const created = await t.call(keyB, 'POST', '/v1alpha/sessions', {
    prompt: `B's secret plan ${MARK}`,
    title: `B title ${MARK}`,
    sourceContext: { source: `sources/${bSource}`, githubRepoContext: { startingBranch: 'main' } },
  });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  bSession = created.body.id;
  const msg = await t.call(keyB, 'POST', `/v1alpha/sessions/${bSession}:sendMessage`, {
    prompt: `hi ${MARK}`,
  });
  assert.equal(msg.status, 200, JSON.stringify(msg.body));
  const acts = await t.call(keyB, 'GET', `/v1alpha/sessions/${bSession}/activities`);
  bActivity = acts.body.activities[0].id;
});

after(async () => {
  await t?.close();
  if (bare) rmSync(dirname(bare), { recursive: true, force: true });
});

async function verbs(): Promise<string[]> {
  const own = await t.call(keyA, 'POST', '/v1alpha/sessions', { prompt: 'A own' });
  const res = await t.call(keyA, 'POST', `/v1alpha/sessions/${own.body.id}:noSuchVerb`, {});
  const listed = /expected (.+)\.$/.exec(res.body?.error?.message ?? '')?.[1] ?? '';
  const parsed = listed
    .split(/, | or /)
    .map((v) => v.trim())
    .filter((v) => /^[A-Za-z]+$/.test(v));
  return [...new Set([...KNOWN_VERBS, ...parsed])];
}

/** Fills a route's parameters with B's identifiers (or the fakes). */
function fill(
  path: string,
  ids: { session: string; activity: string; source: string },
  verb: string,
): string {
  const [provider, owner, repo] = ids.source.split('/');
  return (
    path
      // A custom method's own route: `/:id(.+)::cancel` is `/ID:cancel`.
      .replace(/\([^)]*\)::(\w+)$/, ':$1')
      .replace(/:idVerb\b/g, `${ids.session}:${verb}`)
      .replace(/:aid\b/g, ids.activity)
      .replace(/:provider\b/g, provider!)
      .replace(/:owner\b/g, owner!)
      .replace(/:repo\b/g, repo!)
      // Remaining parameters (`/:x`); a `:verb` right after a name (`activities:stream`) is literal.
      .replace(/(?<=\/):[A-Za-z_]+/g, ids.session)
      .replace(/\*/g, `sessions/${ids.session}`)
  );
}

/** The verb of a custom method's own route (`/v1alpha/sessions/:id(.+)::cancel`), if it is one. */
const ownVerb = (path: string) => /\([^)]*\)::(\w+)$/.exec(path)?.[1];

function bodyFor(verb: string) {
  return verb === 'sendMessage' ? { prompt: 'from A' } : {};
}

test('routes are discovered from the app', () => {
  const routes = listRoutes(t.stint.app);
  const has = (m: string, p: string) => routes.some((r) => r.method === m && r.path === p);
  assert.ok(has('GET', '/v1alpha/sessions/:id'), JSON.stringify(routes));
  assert.ok(has('GET', '/v1alpha/sessions/:id/activities/:aid'));
  assert.ok(has('DELETE', '/v1alpha/sessions/:id'));
  assert.ok(has('POST', '/v1alpha/sessions/:idVerb'));
  assert.ok(has('GET', '/v1alpha/sources/:provider/:owner/:repo'));
});

test("tenant A gets 404 on every endpoint for tenant B's session, activity and source", async () => {
  const routes = listRoutes(t.stint.app);
  const allVerbs = await verbs();
  const before = await t.stint.store.getSession(bSession);
  let checked = 0;
  for (const key of [keyA, adminA]) {
    for (const route of routes) {
      const withParams = /\/:|\*/.test(route.path);
      for (const verb of route.path.includes(':idVerb') ? allVerbs : [ownVerb(route.path) ?? '-']) {
        const real = fill(route.path, { session: bSession, activity: bActivity, source: bSource }, verb);
        const res = await t.call(key, route.method, real, route.method === 'GET' ? undefined : bodyFor(verb));
        const text = JSON.stringify(res.body);
        const what = `${route.method} ${real}`;
        assert.ok(!text.includes(MARK), `${what} leaked B's data: ${text}`);
        assert.ok(res.status < 500, `${what}: ${res.status}`);
        if (!withParams) continue;
        // The admin API is not tenant-scoped (admin keys administer the server; members get 403).
        const admin = route.path.startsWith('/v1alpha/admin/');
        if (route.path.startsWith('/v1alpha/') && !admin) {
          assert.equal(res.status, 404, `${what}: ${res.status} ${text}`);
        }
        if (admin && key === keyA) assert.equal(res.status, 403, `${what}: ${res.status} ${text}`);
        // Exactly the answer a session that does not exist gets: no existence oracle.
        const fake = fill(
          route.path,
          { session: FAKE_SESSION, activity: FAKE_ACTIVITY, source: 'github/bco/nothing-here' },
          verb,
        );
        const ref = await t.call(key, route.method, fake, route.method === 'GET' ? undefined : bodyFor(verb));
        assert.equal(res.status, ref.status, `${what} differs from a missing session`);
        const norm = (s: string, ids: string[]) => ids.reduce((acc, id) => acc.split(id).join('<ID>'), s);
        assert.equal(
          norm(text, [bSession, bActivity, bSource]),
          norm(JSON.stringify(ref.body), [FAKE_SESSION, FAKE_ACTIVITY, 'github/bco/nothing-here']),
          `${what} answers differently from a missing resource`,
        );
        checked += 1;
      }
    }
  }
  assert.ok(checked >= 2 * (4 + allVerbs.length), `only ${checked} route checks ran`);

  // B's session is exactly as it was: nothing A did (delete, cancel, messages...) reached it.
  const afterRec = await t.stint.store.getSession(bSession);
  assert.deepEqual(afterRec, before);
  const mine = await t.call(keyB, 'GET', `/v1alpha/sessions/${bSession}`);
  assert.equal(mine.status, 200);
});

test("lists, filters and creates never reach tenant B's resources", async () => {
  for (const key of [keyA, adminA]) {
    const cases: [string, string, unknown?][] = [
      ['GET', '/v1alpha/sessions?pageSize=100'],
      ['GET', '/v1alpha/sessions?filter=archived%20%3D%20true'],
      ['GET', `/v1alpha/sessions?filter=${encodeURIComponent(`source = "sources/${bSource}"`)}`],
      ['GET', `/v1alpha/sessions?filter=${encodeURIComponent(`state = QUEUED`)}`],
      ['GET', '/v1alpha/sources?pageSize=100'],
      ['GET', `/v1alpha/sources?filter=${encodeURIComponent(`name=sources/${bSource}`)}`],
    ];
    for (const [method, path] of cases) {
      const res = await t.call(key, method, path);
      assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.body)}`);
      const text = JSON.stringify(res.body);
      assert.ok(
        !text.includes(bSession) && !text.includes(MARK) && !text.includes(bSource),
        `${path}: ${text}`,
      );
    }
    const create = await t.call(key, 'POST', '/v1alpha/sessions', {
      prompt: 'use B repo',
      sourceContext: { source: `sources/${bSource}` },
    });
    assert.equal(create.status, 404, JSON.stringify(create.body));
  }
  // A page token minted for B cannot be replayed by A.
  const bPage = await t.call(keyB, 'GET', '/v1alpha/sessions?pageSize=1');
  await t.call(keyB, 'POST', '/v1alpha/sessions', { prompt: `second ${MARK}` });
  const bPage2 = await t.call(keyB, 'GET', '/v1alpha/sessions?pageSize=1');
  const token = bPage2.body.nextPageToken ?? bPage.body.nextPageToken;
  assert.ok(token, 'B has a second page');
  const replay = await t.call(
    keyA,
    'GET',
    `/v1alpha/sessions?pageSize=1&pageToken=${encodeURIComponent(token)}`,
  );
  assert.equal(replay.status, 400);
  assert.ok(!JSON.stringify(replay.body).includes(MARK));
});
