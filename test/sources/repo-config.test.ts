// Server settings for repositories: durations, branch prefix, GitHub credentials by reference only.
import assert from 'node:assert/strict';
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
      maxPooledCheckouts: 16,
      github: undefined,
    },
  );
  assert.equal(buildRepoConfig({ workspaceRetention: '24h' }, {}).retentionMs, 86_400_000);
  assert.equal(buildRepoConfig({}, { STINT_WORKSPACE_RETENTION: '90s' }).retentionMs, 90_000);
  assert.equal(buildRepoConfig({ branchPrefix: 'bots/stint-' }, {}).branchPrefix, 'bots/stint-');
  for (const bad of ['-x/', '../', 'a..b/', 'x y/']) {
    assert.throws(() => buildRepoConfig({ branchPrefix: bad }, {}), /branch-prefix/);
  }
  assert.throws(() => buildRepoConfig({ workspaceRetention: 'soon' }, {}), /duration/);
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
    github: { tokenEnv: 'GH', owner: 'acme' },
  });
  assert.throws(() => parseSourceConfig({ github: { tokenEnv: 'not a name' } }), /tokenEnv/);
  assert.throws(() => parseSourceConfig({ github: { apiUrl: 'ftp://x' } }), /apiUrl/);
  assert.throws(() => parseSourceConfig({ github: { repo: '../x' } }), /repo/);
});
