/**
 * What clients other than the official SDK send, written from their documented behaviour (Python,
 * Go and TypeScript CLIs, MCP servers, the Jules GitHub Action, curl examples in the Jules docs),
 * against a real `stint serve` with a GitHub-named source and a plain git source of another host.
 * Raw fetch() throughout, so that every header and body is exactly what such a client sends.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { activityKind } from '../support/activities.ts';
import { addSource, git, makeBareRepo, scriptPrompt } from '../support/git-fixtures.ts';
import { api, makeTempDir, type StartedServer, startServer, waitUntil } from '../support/server.ts';

const WIDGETS = 'sources/github/acme/widgets';
const PLAIN = 'sources/gitlab/team/plainrepo';

describe('request shapes of other Jules clients', () => {
  let server: StartedServer;
  let widgets: string;
  let plain: string;

  /** fetch() exactly as given: no default headers besides the ones passed. */
  async function raw(
    method: string,
    path: string,
    init: { headers?: Record<string, string>; body?: string } = {},
  ) {
    const res = await fetch(`${server.baseUrl}${path}`, {
      method,
      headers: init.headers ?? { 'x-goog-api-key': server.apiKey },
      ...(init.body !== undefined ? { body: init.body } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  const getSession = async (id: string) => (await api(server, 'GET', `/sessions/${id}`)).body;
  const waitState = (id: string, ...states: string[]) =>
    waitUntil(async () => {
      const s = await getSession(id);
      return states.includes(s.state) ? s : undefined;
    }, 60_000);
  async function activities(id: string, query = ''): Promise<any[]> {
    const res = await api(server, 'GET', `/sessions/${id}/activities?pageSize=100${query}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.activities;
  }
  async function create(body: unknown): Promise<any> {
    const res = await api(server, 'POST', '/sessions', body);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  }
  const quick = (text: string) => scriptPrompt(text, { plan: ['Say it'], steps: [{ message: text }] });

  before(async () => {
    const dataDir = makeTempDir('stint-shapes-');
    widgets = makeBareRepo();
    plain = makeBareRepo({ 'PLAIN.md': 'plain\n' });
    addSource(dataDir, 'github/acme/widgets', widgets, '--default-branch', 'main');
    addSource(dataDir, 'gitlab/team/plainrepo', plain, '--default-branch', 'main');
    // Follow-ups below add a file to a finished session's checkout: keep checkouts for a while.
    server = await startServer({ dataDir, env: { STINT_WORKSPACE_RETENTION: '1h' } });
  });
  after(async () => {
    await server?.cleanup();
  });

  test('lists without pageSize; every source, GitHub or not, carries githubRepo', async () => {
    const sources = await raw('GET', '/sources');
    assert.equal(sources.status, 200);
    assert.equal(sources.body.nextPageToken, undefined);
    const byName = new Map(sources.body.sources.map((s: any) => [s.name, s]));
    assert.deepEqual([...byName.keys()].sort(), [WIDGETS, PLAIN]);
    const p: any = byName.get(PLAIN);
    assert.equal(p.id, 'gitlab/team/plainrepo');
    assert.equal(p.githubRepo.owner, 'team');
    assert.equal(p.githubRepo.repo, 'plainrepo');
    assert.equal(p.githubRepo.defaultBranch.displayName, 'main');
    assert.deepEqual(p.githubRepo.branches.map((b: any) => b.displayName).sort(), ['dev', 'main']);
    assert.equal(p.provider, 'git');
    assert.deepEqual(p.gitRepo, p.githubRepo, "Stint's own host description beside it");
    const w: any = byName.get(WIDGETS);
    assert.equal(w.githubRepo.owner, 'acme');
    assert.equal(w.gitRepo, undefined);
    assert.equal((await raw('GET', '/sources/gitlab/team/plainrepo')).body.githubRepo.repo, 'plainrepo');

    const s = await create({ prompt: quick('no page size') });
    const list = await raw('GET', '/sessions');
    assert.equal(list.status, 200);
    assert.ok(list.body.sessions.some((x: any) => x.id === s.id));
    assert.equal((await raw('GET', `/sessions/${s.id}/activities`)).status, 200);
  });

  test('sources filter: OR, quotes (double and single), parentheses, spaces', async () => {
    const names = async (filter: string) => {
      const res = await raw('GET', `/sources?filter=${encodeURIComponent(filter)}`);
      assert.equal(res.status, 200, `${filter}: ${JSON.stringify(res.body)}`);
      return res.body.sources.map((s: any) => s.name).sort();
    };
    assert.deepEqual(await names(`name=${WIDGETS} OR name=${PLAIN}`), [WIDGETS, PLAIN]);
    assert.deepEqual(await names(`name = "${WIDGETS}" OR name = '${PLAIN}'`), [WIDGETS, PLAIN]);
    assert.deepEqual(await names(`(name="${PLAIN}")`), [PLAIN]);
    assert.deepEqual(await names(`name="${WIDGETS}" OR name="sources/github/acme/nothing"`), [WIDGETS]);
    const bad = await raw('GET', `/sources?filter=${encodeURIComponent('NOT name = x')}`);
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /NOT is not supported/);
  });

  test('the Jules GitHub Action create: AUTO_CREATE_PR, requirePlanApproval false, a source and branch', async () => {
    const body = {
      prompt: scriptPrompt('Fix the docs', {
        plan: ['Edit README'],
        steps: [{ write: { path: 'README.md', content: '# widgets, fixed\n' } }],
      }),
      sourceContext: { source: WIDGETS, githubRepoContext: { startingBranch: 'main' } },
      automationMode: 'AUTO_CREATE_PR',
      requirePlanApproval: false,
    };
    const res = await raw('POST', '/sessions', {
      headers: { 'Content-Type': 'application/json', 'X-Goog-Api-Key': server.apiKey },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.automationMode, 'AUTO_CREATE_PR');
    assert.equal(res.body.requirePlanApproval, false);
    const done = await waitState(res.body.id, 'COMPLETED', 'FAILED');
    assert.equal(done.state, 'COMPLETED');
    // A plain git source has no review to open: the pushed branch is reported, no pull request.
    const branch = done.outputs.find((o: any) => o.branch)?.branch;
    assert.ok(branch, JSON.stringify(done.outputs));
    assert.ok(!done.outputs.some((o: any) => o.pullRequest), JSON.stringify(done.outputs));
    assert.equal(branch.name, `stint/${done.id}`);
    assert.equal(git(widgets, 'show', `${branch.name}:README.md`), '# widgets, fixed\n');
  });

  test('sourceContext.workingBranch: validated, echoed, and where the work is pushed', async () => {
    const ctx = (extra: object) => ({
      source: WIDGETS,
      githubRepoContext: { startingBranch: 'main' },
      ...extra,
    });
    const bad = await api(server, 'POST', '/sessions', {
      prompt: 'x',
      sourceContext: ctx({ workingBranch: 'feature/../escape' }),
    });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /sourceContext\.workingBranch/);
    const same = await api(server, 'POST', '/sessions', {
      prompt: 'x',
      sourceContext: ctx({ workingBranch: 'main' }),
    });
    assert.equal(same.status, 400);
    assert.match(same.body.error.message, /must differ from the starting branch/);

    const s = await create({
      prompt: scriptPrompt('Work on a named branch', {
        plan: ['Write'],
        steps: [{ write: { path: 'named.txt', content: 'named\n' } }],
      }),
      sourceContext: ctx({ workingBranch: 'feature/from-client', environmentVariablesEnabled: false }),
      automationMode: 'AUTO_CREATE_PR',
      requirePlanApproval: false,
    });
    assert.equal(s.sourceContext.workingBranch, 'feature/from-client');
    assert.equal(s.sourceContext.environmentVariablesEnabled, false);
    const done = await waitState(s.id, 'COMPLETED', 'FAILED');
    assert.equal(done.state, 'COMPLETED');
    assert.equal(done.sourceContext.workingBranch, 'feature/from-client');
    assert.equal(done.sourceContext.environmentVariablesEnabled, false);
    const branch = done.outputs.find((o: any) => o.branch)?.branch;
    assert.equal(branch?.name, 'feature/from-client');
    assert.equal(git(widgets, 'show', 'refs/heads/feature/from-client:named.txt'), 'named\n');
    assert.throws(() => git(widgets, 'rev-parse', '--verify', '--quiet', `refs/heads/stint/${s.id}`));
  });

  test('body-less :approvePlan, with and without Content-Type', async () => {
    const a = await create({ prompt: quick('approve me'), requirePlanApproval: true });
    const b = await create({ prompt: quick('approve me too'), requirePlanApproval: true });
    await waitState(a.id, 'AWAITING_PLAN_APPROVAL');
    await waitState(b.id, 'AWAITING_PLAN_APPROVAL');
    const noType = await raw('POST', `/sessions/${a.id}:approvePlan`);
    assert.equal(noType.status, 200, JSON.stringify(noType.body));
    assert.deepEqual(noType.body, {});
    const withType = await raw('POST', `/sessions/${b.id}:approvePlan`, {
      headers: { 'content-type': 'application/json', 'x-goog-api-key': server.apiKey },
    });
    assert.equal(withType.status, 200, JSON.stringify(withType.body));
    for (const id of [a.id, b.id])
      assert.equal((await waitState(id, 'COMPLETED', 'FAILED')).state, 'COMPLETED');
    // Approving again (nothing to approve) is the client's mistake: 400, never 5xx.
    const again = await raw('POST', `/sessions/${a.id}:approvePlan`);
    assert.equal(again.status, 400);
    assert.equal(again.body.error.status, 'FAILED_PRECONDITION');
  });

  test('DELETE removes the session; Authorization: Bearer is accepted', async () => {
    const s = await create({ prompt: quick('delete me') });
    const bearer = { authorization: `Bearer ${server.apiKey}` };
    assert.equal((await raw('GET', `/sessions/${s.id}`, { headers: bearer })).status, 200);
    const del = await raw('DELETE', `/sessions/${s.id}`, { headers: bearer });
    assert.equal(del.status, 200);
    assert.deepEqual(del.body, {});
    assert.equal((await raw('GET', `/sessions/${s.id}`, { headers: bearer })).status, 404);
    assert.equal((await raw('DELETE', `/sessions/${s.id}`, { headers: bearer })).status, 404);
    assert.equal((await raw('GET', '/sessions', { headers: { authorization: 'Bearer nope' } })).status, 401);
  });

  test('activities filter with spaces around the operator, >=, OR, and the createTime parameter', async () => {
    const s = await create({ prompt: quick('filter me') });
    await waitState(s.id, 'COMPLETED');
    const all = await activities(s.id);
    assert.ok(all.length >= 4, all.map(activityKind).join());
    const ids = (xs: any[]) => xs.map((a) => a.id);
    const f = (filter: string) => `&filter=${encodeURIComponent(filter)}`;
    const t1 = all[1].createTime;
    const t2 = all[2].createTime;
    assert.deepEqual(ids(await activities(s.id, f(`create_time > "${t1}"`))), ids(all.slice(2)));
    assert.deepEqual(ids(await activities(s.id, f(`create_time >= "${t1}"`))), ids(all.slice(1)));
    assert.deepEqual(ids(await activities(s.id, f(`createTime>${t1}`))), ids(all.slice(2)));
    assert.deepEqual(
      ids(await activities(s.id, f(`create_time > "${t1}" OR create_time > "${t2}"`))),
      ids(all.slice(2)),
    );
    assert.deepEqual(
      ids(await activities(s.id, f(`create_time > "${t1}" AND create_time > "${t2}"`))),
      ids(all.slice(3)),
    );
    const bad = await api(
      server,
      'GET',
      `/sessions/${s.id}/activities?${f(`create_time < "${t1}"`).slice(1)}`,
    );
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /create_time supports only > and >=/);
  });

  test('archived listing: hidden by default, shown with archived = true, OR of both', async () => {
    const s = await create({ prompt: quick('archive me') });
    await waitState(s.id, 'COMPLETED');
    assert.equal((await api(server, 'POST', `/sessions/${s.id}:archive`, {})).status, 200);
    const list = async (filter?: string) => {
      const q = filter === undefined ? '' : `?filter=${encodeURIComponent(filter)}`;
      const res = await raw('GET', `/sessions${q}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.sessions.map((x: any) => x.id) as string[];
    };
    assert.ok(!(await list()).includes(s.id));
    assert.ok((await list('archived = true')).includes(s.id));
    assert.ok((await list('archived=true')).includes(s.id));
    const both = await list('archived = true OR archived = false');
    assert.ok(both.includes(s.id));
    assert.ok(both.length > 1);
    assert.deepEqual(
      await list('archived = true AND (state = FAILED OR state = "COMPLETED")'),
      await list('archived = true'),
    );
    assert.deepEqual(await list('state = STATE_UNSPECIFIED'), []);
    assert.equal((await api(server, 'POST', `/sessions/${s.id}:unarchive`, {})).status, 200);
  });

  test('unknown body fields are 400 in Google\'s form; a wrapped {"session":{...}} create too', async () => {
    const wrapped = await api(server, 'POST', '/sessions', { session: { prompt: 'wrapped' } });
    assert.equal(wrapped.status, 400);
    assert.equal(wrapped.body.error.status, 'INVALID_ARGUMENT');
    assert.equal(
      wrapped.body.error.message,
      'Invalid JSON payload received. Unknown name "session": Cannot find field.',
    );
    const bogus = await api(server, 'POST', '/sessions', { prompt: 'x', bogus: 1 });
    assert.equal(bogus.status, 400);
    assert.match(bogus.body.error.message, /^Invalid JSON payload received\. Unknown name "bogus"/);
    const nested = await api(server, 'POST', '/sessions', {
      prompt: 'x',
      sourceContext: { source: WIDGETS, branch: 'main' },
    });
    assert.equal(nested.status, 400);
    assert.equal(
      nested.body.error.message,
      `Invalid JSON payload received. Unknown name "branch" at 'sourceContext': Cannot find field.`,
    );
    const s = await create({ prompt: quick('strict methods') });
    const msg = await api(server, 'POST', `/sessions/${s.id}:sendMessage`, { prompt: 'hi', bogus: true });
    assert.equal(msg.status, 400);
    assert.match(msg.body.error.message, /Unknown name "bogus"/);
    const appr = await api(server, 'POST', `/sessions/${s.id}:approvePlan`, { planId: 'x' });
    assert.equal(appr.status, 400);
    assert.match(appr.body.error.message, /Unknown name "planId"/);
    const arch = await api(server, 'POST', `/sessions/${s.id}:archive`, { reason: 'x' });
    assert.equal(arch.status, 400);
    // Proto field names are read as their JSON names; output-only fields are accepted and ignored.
    const snake = await create({
      prompt: quick('snake'),
      require_plan_approval: true,
      automation_mode: 'AUTO_CREATE_PR',
    });
    assert.equal(snake.requirePlanApproval, true);
    assert.equal(snake.automationMode, 'AUTO_CREATE_PR');
    const echo = await create({ ...s, prompt: quick('round trip'), title: 'Round trip' });
    assert.notEqual(echo.id, s.id);
    assert.equal(echo.state, 'QUEUED');
    assert.equal(echo.title, 'Round trip');
    await waitState(snake.id, 'AWAITING_PLAN_APPROVAL');
    await api(server, 'POST', `/sessions/${snake.id}:approvePlan`, {});
  });

  test('follow-ups: a COMPLETED session continues with new work in its outputs; a FAILED one refuses', async () => {
    const s = await create({
      prompt: scriptPrompt('First round', {
        plan: ['Write one'],
        steps: [{ write: { path: 'one.txt', content: 'one\n' } }],
      }),
      sourceContext: { source: PLAIN, githubRepoContext: { startingBranch: 'main' } },
      automationMode: 'AUTO_CREATE_PR',
    });
    const first = await waitState(s.id, 'COMPLETED', 'FAILED');
    assert.equal(first.state, 'COMPLETED');
    const branch = first.outputs.find((o: any) => o.branch).branch;
    const head1 = git(plain, 'rev-parse', `refs/heads/${branch.name}`).trim();
    assert.equal(branch.commitId, head1);
    const firstCount = (await activities(s.id)).length;

    // The follow-up's work (the scripted agent only acknowledges messages, so it is put in place here).
    writeFileSync(join(server.dataDir, 'workspaces', s.id, 'two.txt'), 'two\n');
    const sent = await api(server, 'POST', `/sessions/${s.id}:sendMessage`, { prompt: 'Also add two.txt' });
    assert.equal(sent.status, 200);
    const again = await waitUntil(async () => {
      const x = await getSession(s.id);
      const n = (await activities(s.id)).length;
      return x.state === 'COMPLETED' && n > firstCount ? x : undefined;
    }, 60_000);
    const later = (await activities(s.id)).slice(firstCount);
    assert.equal(activityKind(later[0]), 'userMessaged');
    assert.equal(activityKind(later.at(-1)), 'sessionCompleted');
    // The changeSet (first output, what clients read) now holds both rounds; the same branch and review.
    const patch = again.outputs[0].changeSet.gitPatch.unidiffPatch as string;
    assert.match(patch, /b\/one\.txt/);
    assert.match(patch, /b\/two\.txt/);
    assert.equal(
      again.outputs[0].changeSet.gitPatch.baseCommitId,
      first.outputs[0].changeSet.gitPatch.baseCommitId,
    );
    const branch2 = again.outputs.find((o: any) => o.branch).branch;
    assert.equal(branch2.name, branch.name);
    const head2 = git(plain, 'rev-parse', `refs/heads/${branch.name}`).trim();
    assert.equal(branch2.commitId, head2);
    assert.equal(git(plain, 'rev-parse', `${head2}^`).trim(), head1, 'one more commit on the same branch');

    const failing = await create({
      prompt: scriptPrompt('Fail', { plan: ['Fail'], steps: [{ fail: 'on purpose' }] }),
    });
    await waitState(failing.id, 'FAILED');
    const refused = await api(server, 'POST', `/sessions/${failing.id}:sendMessage`, { prompt: 'try again' });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.status, 'FAILED_PRECONDITION');
    assert.equal((await getSession(failing.id)).state, 'FAILED');
  });
});
