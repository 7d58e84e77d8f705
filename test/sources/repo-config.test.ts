// Server settings for repositories: durations, branch prefix, GitHub credentials by reference only.
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import { buildRepoConfig } from '../../src/sources/repo-config.ts';
import { parseSourceConfig } from '../../src/sources/source-config.ts';

test('defaults, durations and the branch prefix', () => {
  const d = buildRepoConfig({}, {});
  assert.deepEqual(
    { ...d },
    {
      branchPrefix: 'stint/',
      retentionMs: 0,
      poolSize: 2,
      poolIdleMs: 3600_000,
      maxPooledCheckouts: 32,
      buildSlots: Math.min(availableParallelism(), 64),
      mirrorFetchIntervalMs: 2000,
      gitHelpers: Math.min(2, availableParallelism()),
      changeWatch: true,
      github: undefined,
      reviews: undefined,
    },
  );
  assert.equal(buildRepoConfig({ workspaceRetention: '24h' }, {}).retentionMs, 86_400_000);
  assert.equal(buildRepoConfig({}, { STINT_WORKSPACE_RETENTION: '90s' }).retentionMs, 90_000);
  assert.equal(buildRepoConfig({ branchPrefix: 'bots/stint-' }, {}).branchPrefix, 'bots/stint-');
  for (const bad of ['-x/', '../', 'a..b/', 'x y/']) {
    assert.throws(() => buildRepoConfig({ branchPrefix: bad }, {}), /branch-prefix/);
  }
  assert.throws(() => buildRepoConfig({ workspaceRetention: 'soon' }, {}), /duration/);
  assert.equal(buildRepoConfig({}, { STINT_GIT_HELPERS: '0' }).gitHelpers, 0);
  assert.equal(
    buildRepoConfig({}, { STINT_GIT_THREADS: '1' }).gitHelpers,
    1,
    'the earlier name still counts',
  );
  assert.equal(buildRepoConfig({}, { STINT_CHANGE_WATCH: 'off' }).changeWatch, false);
  assert.throws(() => buildRepoConfig({}, { STINT_CHANGE_WATCH: 'sometimes' }), /STINT_CHANGE_WATCH/);
  assert.equal(buildRepoConfig({}, { STINT_WORKSPACE_BUILDS: '1' }).buildSlots, 1);
  assert.throws(() => buildRepoConfig({}, { STINT_WORKSPACE_BUILDS: '0' }), /STINT_WORKSPACE_BUILDS/);
  assert.throws(
    () => buildRepoConfig({}, { STINT_GIT_HELPERS: 'many' }),
    /STINT_GIT_HELPERS must be an integer/,
  );
});

test('GitHub settings keep the names of the variables with secrets, never the secrets', () => {
  const env = { STINT_GITHUB_TOKEN: 'ghp_SECRET', STINT_GITHUB_TENANTS: 'a, b' };
  const gh = buildRepoConfig({ githubApiUrl: 'https://ghe.example/api/v3/' }, env).github!;
  assert.deepEqual(gh, {
    apiUrl: 'https://ghe.example/api/v3',
    tokenEnv: 'STINT_GITHUB_TOKEN',
    tenants: ['a', 'b'],
    discover: true,
  });
  assert.ok(!JSON.stringify(gh).includes('SECRET'));
  assert.throws(() => buildRepoConfig({}, { STINT_GITHUB_APP_ID: '12' }), /PRIVATE_KEY/);
  const app = buildRepoConfig({}, { STINT_GITHUB_APP_ID: '12', STINT_GITHUB_APP_PRIVATE_KEY: '-----BEGIN' })
    .github!;
  assert.deepEqual(app.app, { appId: '12', privateKeyEnv: 'STINT_GITHUB_APP_PRIVATE_KEY' });
});

test("a source's GitHub config is validated field by field", () => {
  assert.deepEqual(parseSourceConfig({ network: true, github: { tokenEnv: 'GH', owner: 'acme' } }), {
    network: true,
    github: { tokenEnv: 'GH', owner: 'acme' },
  });
  assert.throws(() => parseSourceConfig({ github: { tokenEnv: 'not a name' } }), /tokenEnv/);
  assert.throws(() => parseSourceConfig({ github: { apiUrl: 'ftp://x' } }), /apiUrl/);
  assert.throws(() => parseSourceConfig({ github: { repo: '../x' } }), /repo/);
});

test('review webhooks: on with a secret (all hosts or per host), by variable name only, with a handle', () => {
  assert.deepEqual(buildRepoConfig({}, { STINT_REVIEW_SECRET: 's3cret' }).reviews, {
    handle: '@stint',
    secretEnv: { github: 'STINT_REVIEW_SECRET', gitlab: 'STINT_REVIEW_SECRET', gitea: 'STINT_REVIEW_SECRET' },
  });
  const one = buildRepoConfig(
    {},
    { STINT_REVIEW_SECRET_GITLAB: 's3cret', STINT_REVIEW_HANDLE: 'bot' },
  ).reviews;
  assert.deepEqual(one, { handle: '@bot', secretEnv: { gitlab: 'STINT_REVIEW_SECRET_GITLAB' } });
  assert.ok(!JSON.stringify(one).includes('s3cret'));
  assert.throws(
    () => buildRepoConfig({}, { STINT_REVIEW_SECRET: 'x', STINT_REVIEW_HANDLE: '@a b' }),
    /STINT_REVIEW_HANDLE/,
  );
});

test("a source's GitLab or Gitea config is validated field by field", () => {
  assert.deepEqual(
    parseSourceConfig({ gitlab: { tokenEnv: 'GL', url: 'https://gitlab.example/', project: 'a/b/c' } }),
    { gitlab: { tokenEnv: 'GL', url: 'https://gitlab.example', project: 'a/b/c' } },
  );
  assert.throws(() => parseSourceConfig({ gitlab: { url: 'https://x' } }), /needs tokenEnv or tokenFile/);
  assert.throws(
    () => parseSourceConfig({ gitlab: { tokenEnv: 'GL', url: 'https://u:p@x' } }),
    /without credentials/,
  );
  assert.throws(() => parseSourceConfig({ gitea: { tokenEnv: 'GT', project: 'a/b/c' } }), /OWNER\/REPO/);
  assert.throws(() => parseSourceConfig({ gitea: { tokenEnv: 'GT', project: 'a/..' } }), /OWNER\/REPO/);
  assert.throws(
    () => parseSourceConfig({ gitlab: { tokenEnv: 'GL' }, gitea: { tokenEnv: 'GT' } }),
    /not both/,
  );
  assert.throws(() => parseSourceConfig({ gitlab: { tokenEnv: 'GL' }, github: {} }), /one host/);
});
