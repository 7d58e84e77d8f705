// Plain git, GitHub, GitLab and Gitea (against their fakes) fulfil the same SourceProvider contract.
import { after, before } from 'node:test';
import { GitProvider } from '../../src/sources/git/git-provider.ts';
import { GiteaProvider } from '../../src/sources/gitea/gitea-provider.ts';
import { GitHubAccess } from '../../src/sources/github/github-access.ts';
import { GitHubProvider } from '../../src/sources/github/github-provider.ts';
import { GitLabProvider } from '../../src/sources/gitlab/gitlab-provider.ts';
import { buildRepoConfig } from '../../src/sources/repo-config.ts';
import { runSourceContract } from '../contracts/source.contract.ts';
import { type FakeGitea, startFakeGitea } from '../support/fake-gitea.ts';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github.ts';
import { type FakeGitLab, startFakeGitLab } from '../support/fake-gitlab.ts';
import { createRemote, git, makeTempDir, type Remote } from '../workspace/helpers.ts';

const TOKEN = 'ghp_contract_SECRET';
let tmp: { path: string; cleanup(): Promise<void> };
let remote: Remote;
let gh: FakeGitHub;
let gl: FakeGitLab;
let gt: FakeGitea;
const HOST_TOKEN = 'host_contract_SECRET';
const hostEnv = { CONTRACT_HOST_TOKEN: HOST_TOKEN };

before(async () => {
  tmp = await makeTempDir();
  remote = await createRemote(tmp.path);
  await git(remote.url, 'branch', 'stint/contract', 'main');
  gh = await startFakeGitHub([{ owner: 'acme', repo: 'widgets', path: remote.url }], { tokens: [TOKEN] });
  gl = await startFakeGitLab([{ path: 'acme/widgets', repo: remote.url }], [HOST_TOKEN]);
  gt = await startFakeGitea([{ owner: 'acme', repo: 'widgets', path: remote.url }], [HOST_TOKEN]);
});
after(async () => {
  await gh.close();
  await gl.close();
  await gt.close();
  await tmp.cleanup();
});

const record = (config: Record<string, unknown>) => ({
  tenantId: 'default',
  id: 'github/acme/widgets',
  gitUrl: remote.url,
  isPrivate: false,
  config,
  createTime: 1,
});

runSourceContract('plain git', async () => ({ provider: new GitProvider(), record: record({}) }));

runSourceContract('GitHub', async () => {
  const env = { STINT_GITHUB_TOKEN: TOKEN };
  const access = new GitHubAccess(buildRepoConfig({ githubApiUrl: gh.url }, env).github, env);
  return {
    provider: new GitHubProvider(access),
    record: record({ github: { useServer: true } }),
    secret: TOKEN,
  };
});

runSourceContract('GitLab', async () => ({
  provider: new GitLabProvider(hostEnv),
  record: record({ gitlab: { tokenEnv: 'CONTRACT_HOST_TOKEN', url: gl.url } }),
  secret: HOST_TOKEN,
}));

runSourceContract('Gitea', async () => ({
  provider: new GiteaProvider(hostEnv),
  record: record({ gitea: { tokenEnv: 'CONTRACT_HOST_TOKEN', url: gt.url } }),
  secret: HOST_TOKEN,
}));
