// Plain git and GitHub (against the fake GitHub) fulfil the same SourceProvider contract.
import { after, before } from 'node:test';
import { GitProvider } from '../../src/sources/git/git-provider.ts';
import { GitHubAccess } from '../../src/sources/github/github-access.ts';
import { GitHubProvider } from '../../src/sources/github/github-provider.ts';
import { buildRepoConfig } from '../../src/sources/repo-config.ts';
import { runSourceContract } from '../contracts/source.contract.ts';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github.ts';
import { createRemote, git, makeTempDir, type Remote } from '../workspace/helpers.ts';

const TOKEN = 'ghp_contract_SECRET';
let tmp: { path: string; cleanup(): Promise<void> };
let remote: Remote;
let gh: FakeGitHub;

before(async () => {
  tmp = await makeTempDir();
  remote = await createRemote(tmp.path);
  await git(remote.url, 'branch', 'stint/contract', 'main');
  gh = await startFakeGitHub([{ owner: 'acme', repo: 'widgets', path: remote.url }], { tokens: [TOKEN] });
});
after(async () => {
  await gh.close();
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
