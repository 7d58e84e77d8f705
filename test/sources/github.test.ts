// The GitHub provider against a fake GitHub REST API on 127.0.0.1: repositories listed as sources
// (token and GitHub App), pull requests opened once and updated after, registration by the CLI's
// rules. Tokens never end up in a source's stored config.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, test } from 'node:test';
import { GitHubAccess } from '../../src/sources/github/github-access.ts';
import { GitHubCatalog } from '../../src/sources/github/github-catalog.ts';
import { GitHubProvider } from '../../src/sources/github/github-provider.ts';
import { resolveRegistration } from '../../src/sources/registration.ts';
import { buildRepoConfig } from '../../src/sources/repo-config.ts';
import { SourceDirectory } from '../../src/sources/source-directory.ts';
import { openStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/store.ts';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github.ts';
import { createRemote, git, makeTempDir, type Remote } from '../workspace/helpers.ts';

const TOKEN = 'ghp_test_token_123';
let tmp: { path: string; cleanup(): Promise<void> };
let remote: Remote;
let gh: FakeGitHub;
let store: Store;
const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privatePem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const publicPem = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();

before(async () => {
  tmp = await makeTempDir();
  remote = await createRemote(tmp.path);
  gh = await startFakeGitHub(
    [
      { owner: 'acme', repo: 'widgets', path: remote.url, private: true },
      { owner: 'acme', repo: 'gadgets', path: remote.url, defaultBranch: 'feature' },
    ],
    { tokens: [TOKEN], app: { id: '4242', publicKey: publicPem, installations: { 7: ['acme/widgets'] } } },
  );
  store = await openStore({ dataDir: tmp.path });
  process.env.TEST_GH_TOKEN = TOKEN;
});
after(async () => {
  delete process.env.TEST_GH_TOKEN;
  await store.close();
  await gh.close();
  await tmp.cleanup();
});

function directory(env: Record<string, string>) {
  const config = buildRepoConfig({ githubApiUrl: gh.url }, env).github;
  const access = new GitHubAccess(config, env);
  return new SourceDirectory(store, { access, github: config, catalog: new GitHubCatalog(access) });
}

test('the repositories a token can see are sources of the configured tenants', async () => {
  const dir = directory({ STINT_GITHUB_TOKEN: TOKEN });
  const listed = await dir.list('default', { limit: 10 });
  assert.deepEqual(
    listed.map((r) => [r.id, r.isPrivate, r.defaultBranch]),
    [
      ['github/acme/gadgets', false, 'feature'],
      ['github/acme/widgets', true, 'main'],
    ],
  );
  assert.deepEqual(
    await dir.list('default', { afterId: 'github/acme/gadgets', limit: 10 }).then((l) => l.map((r) => r.id)),
    ['github/acme/widgets'],
  );
  assert.deepEqual(await dir.list('other-tenant', { limit: 10 }), []);
  const found = await dir.find('default', 'github/acme/widgets');
  assert.equal(found?.gitUrl, remote.url);
  assert.deepEqual(await dir.branches(found!), { branches: ['feature', 'main'], defaultBranch: 'main' });
  assert.equal(dir.providerFor(found!).kind, 'github');
  // A registered source with the same id wins and stays plain git.
  await store.putSource({
    tenantId: 'default',
    id: 'github/acme/widgets',
    gitUrl: remote.url,
    isPrivate: false,
    config: {},
    createTime: 1,
  });
  try {
    const registered = await dir.find('default', 'github/acme/widgets');
    assert.equal(dir.providerFor(registered!).kind, 'git');
    assert.equal((await dir.list('default', { limit: 10 })).length, 2);
  } finally {
    await store.deleteSource('default', 'github/acme/widgets');
  }
});

test('a GitHub App lists its installations’ repositories and pushes with installation tokens', async () => {
  const dir = directory({ STINT_GITHUB_APP_ID: '4242', STINT_GITHUB_APP_PRIVATE_KEY: privatePem });
  const listed = await dir.list('default', { limit: 10 });
  assert.deepEqual(
    listed.map((r) => r.id),
    ['github/acme/widgets'],
  );
  const remoteForGit = await dir.providerFor(listed[0]!).remote(listed[0]!);
  assert.equal(remoteForGit.url, remote.url);
  assert.equal(remoteForGit.env.STINT_GIT_USERNAME, 'x-access-token');
  assert.match(remoteForGit.env.STINT_GIT_PASSWORD ?? '', /^ghs_7_/);
  assert.ok(
    gh.calls.some(
      (c) => c.method === 'POST' && c.path === '/app/installations/7/access_tokens' && c.auth === 'bearer',
    ),
  );
});

test('a pull request is opened once; a second call updates it', async () => {
  await git(remote.url, 'branch', 'stint/pr1', 'main');
  const config = buildRepoConfig({ githubApiUrl: gh.url }, { STINT_GITHUB_TOKEN: TOKEN }).github;
  const provider = new GitHubProvider(new GitHubAccess(config, process.env));
  const record = {
    tenantId: 'default',
    id: 'github/acme/gadgets',
    gitUrl: remote.url,
    isPrivate: false,
    config: { github: { tokenEnv: 'TEST_GH_TOKEN' } },
    createTime: 1,
  };
  const req = {
    record,
    sessionId: 'pr1',
    headRef: 'stint/pr1',
    baseRef: 'main',
    title: 'Add a greeting',
    body: 'Body one',
    sessionUrl: 'http://stint.example/sessions/pr1',
  };
  const before = gh.calls.length;
  const first = await provider.openReview(req);
  assert.deepEqual(first, {
    url: 'https://github.example/acme/gadgets/pull/1',
    title: 'Add a greeting',
    description: 'Body one',
    baseRef: 'main',
    headRef: 'stint/pr1',
  });
  const second = await provider.openReview({ ...req, body: 'Body two' });
  assert.equal(second.url, first.url);
  const made = gh.calls.slice(before);
  assert.deepEqual(
    made.map((c) => `${c.method} ${c.path}`),
    [
      'GET /repos/acme/gadgets/pulls',
      'POST /repos/acme/gadgets/pulls',
      'GET /repos/acme/gadgets/pulls',
      'PATCH /repos/acme/gadgets/pulls/1',
    ],
  );
  assert.deepEqual(made[1]!.body, {
    title: 'Add a greeting',
    body: 'Body one',
    head: 'stint/pr1',
    base: 'main',
  });
  assert.ok(made.every((c) => c.auth === 'token'));
  assert.deepEqual(
    gh.pulls('acme', 'gadgets').map((p) => [p.number, p.head, p.base, p.body]),
    [[1, 'stint/pr1', 'main', 'Body two']],
  );
});

test('registration asks GitHub for the clone URL and stores where the token is, never the token', async () => {
  const env = { TEST_GH_TOKEN: TOKEN };
  const reg = await resolveRegistration(
    { id: 'github/acme/widgets', githubTokenEnv: 'TEST_GH_TOKEN', githubApiUrl: gh.url },
    env,
  );
  assert.equal(reg.gitUrl, remote.url);
  assert.equal(reg.defaultBranch, 'main');
  assert.equal(reg.isPrivate, true);
  assert.deepEqual(reg.github, { tokenEnv: 'TEST_GH_TOKEN', apiUrl: gh.url });
  assert.ok(!JSON.stringify(reg.github).includes(TOKEN));
  await assert.rejects(
    resolveRegistration(
      { id: 'github/acme/nope', githubTokenEnv: 'TEST_GH_TOKEN', githubApiUrl: gh.url },
      env,
    ),
    /GitHub API error 404/,
  );
  await assert.rejects(
    resolveRegistration(
      { id: 'git/acme/widgets', githubTokenEnv: 'TEST_GH_TOKEN', githubApiUrl: gh.url },
      env,
    ),
    /--github-repo/,
  );
  // --git-url alone: plain git whatever the id.
  const plain = await resolveRegistration({ id: 'github/acme/widgets', gitUrl: remote.url });
  assert.equal(plain.github, undefined);
});
