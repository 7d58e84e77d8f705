// The Gitea/Forgejo provider against a fake Gitea REST v1 API on 127.0.0.1: registration (repository
// lookup with the source's token, the instance's base URL), sources listed with their branches, pull
// requests opened once and updated after, and a bad token failing with a clear reason after exactly
// one request. Tokens never end up in a source's stored config.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sourceResource } from '../../src/api/resources.ts';
import { SourceService } from '../../src/services/source-service.ts';
import { GiteaProvider } from '../../src/sources/gitea/gitea-provider.ts';
import { GitHubAccess } from '../../src/sources/github/github-access.ts';
import { resolveRegistration } from '../../src/sources/registration.ts';
import { SourceDirectory } from '../../src/sources/source-directory.ts';
import { openStore } from '../../src/store/index.ts';
import type { SourceRecord, Store } from '../../src/store/store.ts';
import { type FakeGitea, startFakeGitea } from '../support/fake-gitea.ts';
import { createRemote, git, makeTempDir, type Remote } from '../workspace/helpers.ts';

const TOKEN = 'gitea-test-token-123';
const env = { TEST_GT_TOKEN: TOKEN, TEST_GT_BAD: 'gitea-wrong' };
let tmp: { path: string; cleanup(): Promise<void> };
let remote: Remote;
let gt: FakeGitea;
let store: Store;

before(async () => {
  tmp = await makeTempDir();
  remote = await createRemote(tmp.path);
  await git(remote.url, 'branch', 'stint/pr1', 'main');
  gt = await startFakeGitea(
    [
      { owner: 'acme', repo: 'widgets', path: remote.url, private: true },
      { owner: 'forge', repo: 'gadgets', path: remote.url, defaultBranch: 'feature' },
    ],
    [TOKEN],
  );
  store = await openStore({ dataDir: tmp.path });
});
after(async () => {
  await store.close();
  await gt.close();
  await tmp.cleanup();
});

const record = (config: Record<string, unknown>, id = 'gitea/acme/widgets'): SourceRecord => ({
  tenantId: 'default',
  id,
  gitUrl: remote.url,
  isPrivate: true,
  config: { gitea: { tokenEnv: 'TEST_GT_TOKEN', url: gt.url, ...config } },
  createTime: 1,
});

test('registration looks the repository up with the token and stores where the token is, never the token', async () => {
  const before = gt.calls.length;
  const reg = await resolveRegistration(
    { id: 'gitea/acme/widgets', giteaTokenEnv: 'TEST_GT_TOKEN', giteaUrl: gt.url },
    env,
  );
  assert.equal(reg.gitUrl, remote.url);
  assert.equal(reg.defaultBranch, 'main');
  assert.equal(reg.isPrivate, true);
  assert.deepEqual(reg.gitea, { tokenEnv: 'TEST_GT_TOKEN', url: gt.url });
  assert.ok(!JSON.stringify(reg.gitea).includes(TOKEN));
  assert.equal(reg.remote.env.STINT_GIT_PASSWORD, TOKEN);
  assert.deepEqual(
    gt.calls.slice(before).map((c) => `${c.method} ${c.path} ${c.auth}`),
    ['GET /api/v1/repos/acme/widgets ok'],
  );
  const other = await resolveRegistration(
    {
      id: 'github/acme/gadgets',
      giteaTokenEnv: 'TEST_GT_TOKEN',
      giteaUrl: gt.url,
      giteaRepo: 'forge/gadgets',
    },
    env,
  );
  assert.deepEqual(
    [other.defaultBranch, other.isPrivate, other.gitea?.project],
    ['feature', false, 'forge/gadgets'],
  );
  await assert.rejects(
    resolveRegistration({ id: 'gitea/acme/nope', giteaTokenEnv: 'TEST_GT_TOKEN', giteaUrl: gt.url }, env),
    /cannot read acme\/nope from http:\/\/127\.0\.0\.1:\d+: Gitea API error 404/,
  );
  await assert.rejects(
    resolveRegistration({ id: 'git/acme/widgets', giteaTokenEnv: 'TEST_GT_TOKEN', giteaUrl: gt.url }, env),
    /--gitea-repo OWNER\/REPO is needed/,
  );
  await assert.rejects(
    resolveRegistration(
      { id: 'gitea/acme/widgets', giteaTokenEnv: 'TEST_GT_TOKEN', giteaRepo: 'a/b/c' },
      env,
    ),
    /--gitea-repo must look like OWNER\/REPO/,
  );
});

test('a bad token fails registration with a clear reason after one request, and is never shown', async () => {
  const before = gt.calls.length;
  await assert.rejects(
    resolveRegistration({ id: 'gitea/acme/widgets', giteaTokenEnv: 'TEST_GT_BAD', giteaUrl: gt.url }, env),
    (e: Error) => {
      assert.match(e.message, /Gitea API error 401: user does not exist/);
      assert.ok(!e.message.includes('gitea-wrong'));
      return true;
    },
  );
  assert.deepEqual(
    gt.calls.slice(before).map((c) => c.auth),
    ['bad'],
  );
});

test('a registered Gitea source is listed with its branches and default branch from the API', async () => {
  const directory = new SourceDirectory(store, {
    access: new GitHubAccess(undefined, env),
    github: undefined,
    catalog: undefined,
    env,
  });
  await store.putSource(record({}));
  const sources = new SourceService(store, undefined, directory);
  const before = gt.calls.length;
  const [view] = await sources.list('default', { limit: 10 });
  assert.equal(directory.providerFor(view!.record).kind, 'gitea');
  const wire = sourceResource(view!) as Record<string, any>;
  // The shared listing code (issue 16) gives every source the `githubRepo` shape the SDK requires.
  assert.equal(wire.name, 'sources/gitea/acme/widgets');
  assert.equal(wire.provider, 'gitea');
  assert.deepEqual(wire.githubRepo, {
    owner: 'acme',
    repo: 'widgets',
    isPrivate: true,
    defaultBranch: { displayName: 'main' },
    branches: [{ displayName: 'feature' }, { displayName: 'main' }, { displayName: 'stint/pr1' }],
  });
  assert.deepEqual(
    gt.calls.slice(before).map((c) => `${c.method} ${c.path}`),
    ['GET /api/v1/repos/acme/widgets', 'GET /api/v1/repos/acme/widgets/branches'],
  );
  await store.deleteSource('default', 'gitea/acme/widgets');
});

test('a pull request is opened once; a second call updates it', async () => {
  const provider = new GiteaProvider(env);
  const req = {
    record: record({}),
    sessionId: 'pr1',
    headRef: 'stint/pr1',
    baseRef: 'main',
    title: 'Add a greeting',
    body: 'Body one',
    sessionUrl: 'http://stint.example/sessions/pr1',
  };
  const before = gt.calls.length;
  const first = await provider.openReview(req);
  assert.deepEqual(first, {
    url: 'https://gitea.example/acme/widgets/pulls/1',
    title: 'Add a greeting',
    description: 'Body one',
    baseRef: 'main',
    headRef: 'stint/pr1',
  });
  const second = await provider.openReview({ ...req, body: 'Body two' });
  assert.equal(second.url, first.url);
  const made = gt.calls.slice(before);
  assert.deepEqual(
    made.map((c) => `${c.method} ${c.path}`),
    [
      'GET /api/v1/repos/acme/widgets/pulls',
      'POST /api/v1/repos/acme/widgets/pulls',
      'GET /api/v1/repos/acme/widgets/pulls',
      'PATCH /api/v1/repos/acme/widgets/pulls/1',
    ],
  );
  assert.equal(made[0]!.query.state, 'open');
  assert.deepEqual(made[1]!.body, {
    head: 'stint/pr1',
    base: 'main',
    title: 'Add a greeting',
    body: 'Body one',
  });
  assert.deepEqual(made[3]!.body, { title: 'Add a greeting', body: 'Body two' });
  assert.ok(made.every((c) => c.auth === 'ok'));
  assert.deepEqual(
    gt.pulls('acme', 'widgets').map((p) => [p.number, p.head, p.base, p.body]),
    [[1, 'stint/pr1', 'main', 'Body two']],
  );
});

test('opening a pull request with a bad token fails with a clear reason after one request', async () => {
  const before = gt.calls.length;
  await assert.rejects(
    new GiteaProvider(env).openReview({
      record: record({ tokenEnv: 'TEST_GT_BAD' }),
      sessionId: 'pr1',
      headRef: 'stint/pr1',
      baseRef: 'main',
      title: 'T',
      body: 'B',
      sessionUrl: 'http://stint.example/sessions/pr1',
    }),
    /could not open the pull request on acme\/widgets: Gitea API error 401/,
  );
  assert.equal(gt.calls.length - before, 1);
});
