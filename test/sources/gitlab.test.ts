// The GitLab provider against a fake GitLab REST v4 API on 127.0.0.1: registration (project lookup
// with the source's token, self-managed base URL, subgroups), sources listed with their branches,
// merge requests opened once and updated after, and a bad token failing with a clear reason after
// exactly one request. Tokens never end up in a source's stored config.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sourceResource } from '../../src/api/resources.ts';
import { SourceService } from '../../src/services/source-service.ts';
import { GitHubAccess } from '../../src/sources/github/github-access.ts';
import { GitLabProvider } from '../../src/sources/gitlab/gitlab-provider.ts';
import { resolveRegistration } from '../../src/sources/registration.ts';
import { SourceDirectory } from '../../src/sources/source-directory.ts';
import { openStore } from '../../src/store/index.ts';
import type { SourceRecord, Store } from '../../src/store/store.ts';
import { type FakeGitLab, startFakeGitLab } from '../support/fake-gitlab.ts';
import { createRemote, git, makeTempDir, type Remote } from '../workspace/helpers.ts';

const TOKEN = 'glpat-test-token-123';
const env = { TEST_GL_TOKEN: TOKEN, TEST_GL_BAD: 'glpat-wrong' };
let tmp: { path: string; cleanup(): Promise<void> };
let remote: Remote;
let gl: FakeGitLab;
let store: Store;

before(async () => {
  tmp = await makeTempDir();
  remote = await createRemote(tmp.path);
  await git(remote.url, 'branch', 'stint/mr1', 'main');
  gl = await startFakeGitLab(
    [
      { path: 'acme/widgets', repo: remote.url, visibility: 'private' },
      { path: 'acme/platform/gadgets', repo: remote.url, visibility: 'public', defaultBranch: 'feature' },
    ],
    [TOKEN],
  );
  store = await openStore({ dataDir: tmp.path });
});
after(async () => {
  await store.close();
  await gl.close();
  await tmp.cleanup();
});

const record = (config: Record<string, unknown>, id = 'gitlab/acme/widgets'): SourceRecord => ({
  tenantId: 'default',
  id,
  gitUrl: remote.url,
  isPrivate: true,
  config: { gitlab: { tokenEnv: 'TEST_GL_TOKEN', url: gl.url, ...config } },
  createTime: 1,
});

test('registration looks the project up with the token and stores where the token is, never the token', async () => {
  const before = gl.calls.length;
  const reg = await resolveRegistration(
    { id: 'gitlab/acme/widgets', gitlabTokenEnv: 'TEST_GL_TOKEN', gitlabUrl: `${gl.url}/` },
    env,
  );
  assert.equal(reg.gitUrl, remote.url);
  assert.equal(reg.defaultBranch, 'main');
  assert.equal(reg.isPrivate, true);
  assert.deepEqual(reg.gitlab, { tokenEnv: 'TEST_GL_TOKEN', url: gl.url });
  assert.equal(reg.github, undefined);
  assert.ok(!JSON.stringify(reg.gitlab).includes(TOKEN));
  // git gets the token through its environment only.
  assert.equal(reg.remote.url, remote.url);
  assert.equal(reg.remote.env.STINT_GIT_USERNAME, 'oauth2');
  assert.equal(reg.remote.env.STINT_GIT_PASSWORD, TOKEN);
  assert.deepEqual(
    gl.calls.slice(before).map((c) => `${c.method} ${c.path} ${c.auth}`),
    ['GET /api/v4/projects/acme/widgets ok'],
  );

  // A project in a subgroup, under any id.
  const sub = await resolveRegistration(
    {
      id: 'github/acme/gadgets',
      gitlabTokenEnv: 'TEST_GL_TOKEN',
      gitlabUrl: gl.url,
      gitlabProject: 'acme/platform/gadgets',
    },
    env,
  );
  assert.deepEqual(
    [sub.defaultBranch, sub.isPrivate, sub.gitlab?.project],
    ['feature', false, 'acme/platform/gadgets'],
  );

  await assert.rejects(
    resolveRegistration({ id: 'gitlab/acme/nope', gitlabTokenEnv: 'TEST_GL_TOKEN', gitlabUrl: gl.url }, env),
    /cannot read acme\/nope from http:\/\/127\.0\.0\.1:\d+: GitLab API error 404: 404 Project Not Found/,
  );
  await assert.rejects(
    resolveRegistration({ id: 'git/acme/widgets', gitlabTokenEnv: 'TEST_GL_TOKEN', gitlabUrl: gl.url }, env),
    /--gitlab-project GROUP\/PROJECT is needed/,
  );
  await assert.rejects(
    resolveRegistration({ id: 'gitlab/acme/widgets', gitlabUrl: gl.url }, env),
    /--gitlab-token-env/,
  );
  await assert.rejects(
    resolveRegistration(
      { id: 'gitlab/acme/widgets', gitlabTokenEnv: 'TEST_GL_TOKEN', githubTokenEnv: 'TEST_GL_TOKEN' },
      env,
    ),
    /one host/,
  );
});

test('a bad token fails registration with a clear reason after one request, and is never shown', async () => {
  const before = gl.calls.length;
  await assert.rejects(
    resolveRegistration({ id: 'gitlab/acme/widgets', gitlabTokenEnv: 'TEST_GL_BAD', gitlabUrl: gl.url }, env),
    (e: Error) => {
      assert.match(e.message, /GitLab API error 401: 401 Unauthorized/);
      assert.ok(!e.message.includes('glpat-wrong'));
      return true;
    },
  );
  assert.deepEqual(
    gl.calls.slice(before).map((c) => c.auth),
    ['bad'],
  );
  await assert.rejects(
    resolveRegistration({ id: 'gitlab/acme/widgets', gitlabTokenEnv: 'UNSET_VAR', gitlabUrl: gl.url }, env),
    /the GitLab token variable UNSET_VAR is not set/,
  );
});

test('a registered GitLab source is listed with its branches and default branch from the API', async () => {
  const directory = new SourceDirectory(store, {
    access: new GitHubAccess(undefined, env),
    github: undefined,
    catalog: undefined,
    env,
  });
  await store.putSource(record({}));
  const sources = new SourceService(store, undefined, directory);
  const before = gl.calls.length;
  const [view] = await sources.list('default', { limit: 10 });
  assert.equal(directory.providerFor(view!.record).kind, 'gitlab');
  assert.deepEqual(view!.branches, ['feature', 'main', 'stint/mr1']);
  const wire = sourceResource(view!) as Record<string, any>;
  // The shared listing code (issue 16) gives every source the `githubRepo` shape the SDK requires.
  assert.equal(wire.provider, 'gitlab');
  const repo = wire.githubRepo;
  assert.equal(wire.name, 'sources/gitlab/acme/widgets');
  assert.deepEqual(repo, {
    owner: 'acme',
    repo: 'widgets',
    isPrivate: true,
    defaultBranch: { displayName: 'main' },
    branches: [{ displayName: 'feature' }, { displayName: 'main' }, { displayName: 'stint/mr1' }],
  });
  assert.deepEqual(
    gl.calls.slice(before).map((c) => `${c.method} ${c.path}`),
    ['GET /api/v4/projects/acme/widgets', 'GET /api/v4/projects/acme/widgets/repository/branches'],
  );
  await store.deleteSource('default', 'gitlab/acme/widgets');
});

test('a merge request is opened once; a second call updates it', async () => {
  const provider = new GitLabProvider(env);
  const req = {
    record: record({}),
    sessionId: 'mr1',
    headRef: 'stint/mr1',
    baseRef: 'main',
    title: 'Add a greeting',
    body: 'Body one',
    sessionUrl: 'http://stint.example/sessions/mr1',
  };
  const before = gl.calls.length;
  const first = await provider.openReview(req);
  assert.deepEqual(first, {
    url: 'https://gitlab.example/acme/widgets/-/merge_requests/1',
    title: 'Add a greeting',
    description: 'Body one',
    baseRef: 'main',
    headRef: 'stint/mr1',
  });
  const second = await provider.openReview({ ...req, body: 'Body two' });
  assert.equal(second.url, first.url);
  const made = gl.calls.slice(before);
  assert.deepEqual(
    made.map((c) => `${c.method} ${c.path}`),
    [
      'GET /api/v4/projects/acme/widgets/merge_requests',
      'POST /api/v4/projects/acme/widgets/merge_requests',
      'GET /api/v4/projects/acme/widgets/merge_requests',
      'PUT /api/v4/projects/acme/widgets/merge_requests/1',
    ],
  );
  assert.deepEqual(
    { state: made[0]!.query.state, source: made[0]!.query.source_branch },
    { state: 'opened', source: 'stint/mr1' },
  );
  assert.deepEqual(made[1]!.body, {
    source_branch: 'stint/mr1',
    target_branch: 'main',
    title: 'Add a greeting',
    description: 'Body one',
    remove_source_branch: false,
  });
  assert.deepEqual(made[3]!.body, { title: 'Add a greeting', description: 'Body two' });
  assert.ok(made.every((c) => c.auth === 'ok'));
  assert.deepEqual(
    gl.mergeRequests('acme/widgets').map((m) => [m.iid, m.source_branch, m.target_branch, m.description]),
    [[1, 'stint/mr1', 'main', 'Body two']],
  );
});

test('opening a merge request with a bad token fails with a clear reason after one request', async () => {
  const provider = new GitLabProvider(env);
  const before = gl.calls.length;
  await assert.rejects(
    provider.openReview({
      record: record({ tokenEnv: 'TEST_GL_BAD' }),
      sessionId: 'mr1',
      headRef: 'stint/mr1',
      baseRef: 'main',
      title: 'T',
      body: 'B',
      sessionUrl: 'http://stint.example/sessions/mr1',
    }),
    /could not open the merge request on acme\/widgets: GitLab API error 401: 401 Unauthorized/,
  );
  assert.equal(gl.calls.length - before, 1);
});
