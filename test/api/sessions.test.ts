/** The sessions, activities and sources resources over HTTP, end to end with the scripted agent. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { activityKind } from '../support/activities.ts';
import { addSource, git, makeBareRepo, scriptPrompt } from '../support/git-fixtures.ts';
import { api, makeTempDir, type StartedServer, startServer, waitUntil } from '../support/server.ts';

const TS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

async function allActivities(server: StartedServer, id: string, query = ''): Promise<any[]> {
  const out: any[] = [];
  let token = '';
  for (let i = 0; i < 100; i++) {
    const sep = query ? '&' : '';
    const res = await api(
      server,
      'GET',
      `/sessions/${id}/activities?pageSize=2${sep}${query}${token ? `&pageToken=${token}` : ''}`,
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    out.push(...res.body.activities);
    if (!res.body.nextPageToken) return out;
    assert.ok(res.body.activities.length > 0, 'never an empty page with a token');
    token = encodeURIComponent(res.body.nextPageToken);
  }
  throw new Error('too many pages');
}

const waitState = (server: StartedServer, id: string, state: string) =>
  waitUntil(async () => {
    const s = (await api(server, 'GET', `/sessions/${id}`)).body;
    if (s.state === 'FAILED' && state !== 'FAILED') throw new Error(`session failed: ${JSON.stringify(s)}`);
    return s.state === state ? s : undefined;
  });

describe('sessions API', () => {
  let server: StartedServer;
  let bare: string;
  const tmp: string[] = [];

  before(async () => {
    const dataDir = makeTempDir();
    bare = makeBareRepo();
    addSource(dataDir, 'github/acme/widgets', bare);
    server = await startServer({ dataDir });
  });
  after(async () => {
    await server?.cleanup();
    for (const d of tmp) rmSync(d, { recursive: true, force: true });
  });

  test('a repoless session runs to COMPLETED with its files in the changeSet', async () => {
    const prompt = scriptPrompt('Write a greeting', {
      plan: ['Write hello.txt', 'Check it'],
      steps: [
        { progress: 'Starting', description: 'warming up' },
        { write: { path: 'hello.txt', content: 'hello\n' } },
        { run: 'cat hello.txt' },
        { message: 'All done' },
      ],
    });
    const created = await api(server, 'POST', '/sessions', { prompt });
    assert.equal(created.status, 200);
    const s = created.body;
    assert.equal(s.name, `sessions/${s.id}`);
    assert.equal(s.state, 'QUEUED');
    assert.equal(s.title, 'Write a greeting');
    assert.match(s.createTime, TS);
    assert.equal(s.url, `${server.origin}/sessions/${s.id}`);
    assert.deepEqual(s.outputs, []);
    assert.equal(s.archived, false);
    // readable at once
    assert.equal((await api(server, 'GET', `/sessions/${s.id}`)).status, 200);
    assert.equal((await api(server, 'GET', `/sessions/${s.id}/activities`)).status, 200);

    const done = await waitState(server, s.id, 'COMPLETED');
    const acts = await allActivities(server, s.id);
    const kinds = acts.map(activityKind);
    assert.deepEqual(kinds, [
      'planGenerated',
      'planApproved',
      'progressUpdated',
      'progressUpdated',
      'progressUpdated',
      'agentMessaged',
      'progressUpdated',
      'sessionCompleted',
    ]);
    assert.deepEqual(
      acts[0].planGenerated.plan.steps.map((x: any) => [x.title, x.index]),
      [
        ['Write hello.txt', 0],
        ['Check it', 1],
      ],
    );
    assert.equal(acts[1].planApproved.planId, acts[0].planGenerated.plan.id);
    assert.match(acts[4].progressUpdated.description, /hello/);
    for (let i = 0; i < acts.length; i++) {
      assert.match(acts[i].createTime, TS);
      assert.equal(acts[i].name, `sessions/${s.id}/activities/${acts[i].id}`);
      assert.ok(Array.isArray(acts[i].artifacts));
      if (i > 0)
        assert.ok(
          Date.parse(acts[i].createTime) - Date.parse(acts[i - 1].createTime) >= 1,
          'at least 1 ms apart',
        );
    }
    const patch = done.outputs[0].changeSet.gitPatch.unidiffPatch as string;
    assert.match(patch, /^diff --git a\/hello.txt b\/hello.txt\nnew file mode 100644\n/);
    assert.match(patch, /--- \/dev\/null\n\+\+\+ b\/hello.txt\n/);
    // the same changeSet is on an activity for clients reading it while busy
    assert.deepEqual(acts[6].artifacts[0].changeSet, done.outputs[0].changeSet);
    // resuming with a create_time filter returns only later activities
    const later = await allActivities(
      server,
      s.id,
      `filter=${encodeURIComponent(`create_time>"${acts[3].createTime}"`)}`,
    );
    assert.deepEqual(
      later.map((a) => a.id),
      acts.slice(4).map((a) => a.id),
    );
    const later2 = await allActivities(server, s.id, `createTime=${encodeURIComponent(acts[5].createTime)}`);
    assert.deepEqual(
      later2.map((a) => a.id),
      acts.slice(6).map((a) => a.id),
    );
    const one = await api(server, 'GET', `/sessions/${s.id}/activities/${acts[2].id}`);
    assert.deepEqual(one.body, acts[2]);
  });

  test('a session on a source waits for plan approval, asks, and ends with a patch that applies', async () => {
    const prompt = scriptPrompt('Change the app', {
      plan: ['Edit app'],
      steps: [
        { ask: 'Which line?' },
        { write: { path: 'src/app.txt', content: 'line 1\nline two\n' } },
        { write: { path: 'docs/new file.md', content: 'new\n' } },
      ],
    });
    const created = await api(server, 'POST', '/sessions', {
      prompt,
      title: 'My own title',
      requirePlanApproval: true,
      automationMode: 'AUTO_CREATE_PR',
      sourceContext: { source: 'sources/github/acme/widgets', githubRepoContext: { startingBranch: 'dev' } },
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const id = created.body.id;
    assert.equal(created.body.title, 'My own title');
    assert.deepEqual(created.body.sourceContext, {
      source: 'sources/github/acme/widgets',
      githubRepoContext: { startingBranch: 'dev' },
    });
    await waitState(server, id, 'AWAITING_PLAN_APPROVAL');
    // nothing happens until approval
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await api(server, 'GET', `/sessions/${id}`)).body.state, 'AWAITING_PLAN_APPROVAL');
    assert.deepEqual((await api(server, 'POST', `/sessions/${id}:approvePlan`, {})).body, {});
    await waitState(server, id, 'AWAITING_USER_FEEDBACK');
    assert.deepEqual(
      (await api(server, 'POST', `/sessions/${id}:sendMessage`, { prompt: 'the second' })).body,
      {},
    );
    const done = await waitState(server, id, 'COMPLETED');
    const acts = await allActivities(server, id);
    const approved = acts.find((a) => a.planApproved);
    assert.equal(approved.originator, 'user');
    const user = acts.find((a) => a.userMessaged);
    assert.equal(user.userMessaged.userMessage, 'the second');
    const reply = acts[acts.indexOf(user) + 1];
    assert.equal(reply.originator, 'agent');
    assert.match(reply.agentMessaged.agentMessage, /the second/);

    const { baseCommitId, unidiffPatch } = done.outputs[0].changeSet.gitPatch;
    assert.equal(done.outputs[0].changeSet.source, 'sources/github/acme/widgets');
    const clone = makeTempDir('stint-apply-');
    tmp.push(clone);
    git(clone, 'clone', '-q', bare, 'c');
    const dir = join(clone, 'c');
    git(dir, 'checkout', '-q', baseCommitId);
    assert.equal(git(dir, 'rev-parse', 'origin/dev').trim(), baseCommitId);
    const patchFile = join(clone, 'p.diff');
    writeFileSync(patchFile, unidiffPatch);
    execFileSync('git', ['apply', '--index', patchFile], { cwd: dir });
    assert.equal(execFileSync('cat', ['src/app.txt'], { cwd: dir, encoding: 'utf8' }), 'line 1\nline two\n');
    assert.equal(execFileSync('cat', ['docs/new file.md'], { cwd: dir, encoding: 'utf8' }), 'new\n');
  });

  test('listing is newest first, pages never repeat, archived sessions are hidden', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await api(server, 'POST', '/sessions', { prompt: `list ${i}` })).body.id);
    }
    await api(server, 'POST', `/sessions/${ids[1]}:archive`, {});
    const seen: string[] = [];
    let token = '';
    for (let i = 0; i < 50; i++) {
      const res = await api(
        server,
        'GET',
        `/sessions?pageSize=2${token ? `&pageToken=${encodeURIComponent(token)}` : ''}`,
      );
      assert.equal(res.status, 200);
      seen.push(...res.body.sessions.map((s: any) => s.id));
      if (i === 0) await api(server, 'POST', '/sessions', { prompt: 'created while paging' });
      if (!res.body.nextPageToken) break;
      token = res.body.nextPageToken;
    }
    assert.equal(new Set(seen).size, seen.length, 'no repeats');
    const mine = seen.filter((x) => ids.includes(x));
    assert.deepEqual(mine, [ids[4], ids[3], ids[2], ids[0]]);
    const archived = await api(server, 'GET', `/sessions?filter=${encodeURIComponent('archived = true')}`);
    assert.deepEqual(
      archived.body.sessions.map((s: any) => s.id),
      [ids[1]],
    );
    assert.equal(archived.body.sessions[0].archived, true);
    const un = await api(server, 'POST', `/sessions/${ids[1]}:unarchive`, {});
    assert.equal(un.body.archived, false);
    const big = await api(server, 'GET', '/sessions?pageSize=1000');
    assert.ok(big.body.sessions.length <= 100);
    assert.equal(big.body.nextPageToken, undefined);
  });

  test('delete stops work and removes the session', async () => {
    const id = (
      await api(server, 'POST', '/sessions', {
        prompt: scriptPrompt('slow', { plan: ['w'], steps: [{ sleep: 60000 }] }),
      })
    ).body.id;
    await waitState(server, id, 'IN_PROGRESS');
    assert.deepEqual((await api(server, 'DELETE', `/sessions/${id}`)).body, {});
    assert.equal((await api(server, 'GET', `/sessions/${id}`)).status, 404);
    assert.equal((await api(server, 'GET', `/sessions/${id}/activities`)).status, 404);
  });

  test('sources are listed and fetched with branches', async () => {
    const list = await api(server, 'GET', '/sources');
    assert.equal(list.status, 200);
    assert.equal(list.body.sources.length, 1);
    const src = list.body.sources[0];
    assert.equal(src.name, 'sources/github/acme/widgets');
    assert.equal(src.id, 'github/acme/widgets');
    assert.deepEqual(src.githubRepo.defaultBranch, { displayName: 'main' });
    // The repository's branches: dev and main, and the stint/<id> branches that this file's
    // AUTO_CREATE_PR session pushed, unless a listing from before that push is still cached (the
    // cache is brief; which one is seen depends on how fast the machine ran the earlier tests).
    const real = git(bare, 'for-each-ref', '--format=%(refname:short)', 'refs/heads').trim().split('\n');
    const shown: string[] = src.githubRepo.branches.map((b: any) => b.displayName).sort();
    assert.deepEqual(
      shown.filter((b) => !b.startsWith('stint/')),
      ['dev', 'main'],
    );
    for (const b of shown) assert.ok(real.includes(b), `${b} is a branch of the repository (${real})`);
    assert.equal(src.githubRepo.owner, 'acme');
    assert.equal(src.githubRepo.repo, 'widgets');
    assert.equal(src.githubRepo.isPrivate, false);
    const one = await api(server, 'GET', '/sources/github/acme/widgets');
    assert.deepEqual(one.body, src);
    const filtered = await api(
      server,
      'GET',
      `/sources?filter=${encodeURIComponent('name=sources/github/acme/widgets')}`,
    );
    assert.deepEqual(filtered.body.sources, [src]);
    const none = await api(server, 'GET', `/sources?filter=${encodeURIComponent('name=sources/github/x/y')}`);
    assert.deepEqual(none.body.sources, []);
  });

  test('healthz answers without a key', async () => {
    const res = await fetch(`${server.origin}/healthz`);
    assert.equal(res.status, 200);
  });
});
