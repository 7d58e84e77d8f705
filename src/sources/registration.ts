/**
 * What `stint sources add` registers. With only `--git-url` the source is plain git, whatever its
 * id (even github/...): Stint clones and pushes that URL and opens no pull request. GitHub options
 * make it a GitHub source: the repository is looked up through the API with the given credentials
 * (which also yields the clone URL when `--git-url` is left out), and sessions open pull requests
 * there. GitLab and Gitea options do the same on those hosts (host-registration.ts). Only where to
 * find the token is stored, never the token.
 */
import type { SourceRecord } from '../store/store.ts';
import { type GitRemote, githubTokenCredentials, remoteFromUrl } from '../workspace/git-auth.ts';
import { GitHubAccess } from './github/github-access.ts';
import { describeGitHubError, octokit } from './github/octokit.ts';
import { resolveHostRegistration, wantsHost } from './host-registration.ts';
import { buildRepoConfig } from './repo-config.ts';
import {
  type GitHubSourceConfig,
  githubRepoOf,
  type HostSourceConfig,
  parseSourceConfig,
} from './source-config.ts';

export interface RegistrationInput {
  id: string;
  gitUrl?: string;
  githubTokenEnv?: string;
  githubTokenFile?: string;
  /** Use the server's GitHub credentials (STINT_GITHUB_TOKEN or the GitHub App). */
  github?: boolean;
  githubApiUrl?: string;
  /** OWNER/REPO on GitHub when the source id does not say it. */
  githubRepo?: string;
  gitlabTokenEnv?: string;
  gitlabTokenFile?: string;
  /** Self-managed GitLab, e.g. https://gitlab.example.com (default https://gitlab.com). */
  gitlabUrl?: string;
  /** GROUP[/SUBGROUP…]/PROJECT on GitLab when the source id does not say it. */
  gitlabProject?: string;
  giteaTokenEnv?: string;
  giteaTokenFile?: string;
  /** The Gitea or Forgejo instance, e.g. https://codeberg.org (default https://gitea.com). */
  giteaUrl?: string;
  /** OWNER/REPO on Gitea when the source id does not say it. */
  giteaRepo?: string;
}

export interface Registration {
  gitUrl: string;
  remote: GitRemote;
  github?: GitHubSourceConfig;
  gitlab?: HostSourceConfig;
  gitea?: HostSourceConfig;
  /** From the host, when it was asked. */
  defaultBranch?: string;
  isPrivate?: boolean;
}

export async function resolveRegistration(
  input: RegistrationInput,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Registration> {
  const wantsGitHub =
    input.github ||
    input.githubTokenEnv !== undefined ||
    input.githubTokenFile !== undefined ||
    input.githubApiUrl;
  const gitlab = {
    tokenEnv: input.gitlabTokenEnv,
    tokenFile: input.gitlabTokenFile,
    url: input.gitlabUrl,
    project: input.gitlabProject,
  };
  const gitea = {
    tokenEnv: input.giteaTokenEnv,
    tokenFile: input.giteaTokenFile,
    url: input.giteaUrl,
    project: input.giteaRepo,
  };
  const hosts = [wantsGitHub && 'GitHub', wantsHost(gitlab) && 'GitLab', wantsHost(gitea) && 'Gitea'];
  if (hosts.filter(Boolean).length > 1) {
    throw new Error(`a source is on one host: got options for ${hosts.filter(Boolean).join(' and ')}`);
  }
  const base = { id: input.id, ...(input.gitUrl !== undefined ? { gitUrl: input.gitUrl } : {}) };
  if (wantsHost(gitlab)) return resolveHostRegistration('gitlab', { ...base, ...defined(gitlab) }, env);
  if (wantsHost(gitea)) return resolveHostRegistration('gitea', { ...base, ...defined(gitea) }, env);
  if (!wantsGitHub) {
    if (!input.gitUrl)
      throw new Error(
        '--git-url is required (or host options such as --github-token-env, --gitlab-token-env, --gitea-token-env)',
      );
    return { gitUrl: input.gitUrl, remote: remoteFromUrl(input.gitUrl) };
  }
  if (input.githubTokenEnv !== undefined && input.githubTokenFile !== undefined) {
    throw new Error('give either --github-token-env or --github-token-file, not both');
  }
  const raw: Record<string, unknown> = {};
  if (input.githubTokenEnv !== undefined) raw.tokenEnv = input.githubTokenEnv;
  if (input.githubTokenFile !== undefined) raw.tokenFile = input.githubTokenFile;
  if (input.githubTokenEnv === undefined && input.githubTokenFile === undefined) raw.useServer = true;
  if (input.githubApiUrl !== undefined) raw.apiUrl = input.githubApiUrl;
  if (input.githubRepo !== undefined) {
    const [owner, repo, extra] = input.githubRepo.split('/');
    if (!owner || !repo || extra !== undefined) throw new Error('--github-repo must look like OWNER/REPO');
    Object.assign(raw, { owner, repo });
  } else if (!input.id.startsWith('github/')) {
    throw new Error('--github-repo OWNER/REPO is needed when the source id is not github/OWNER/REPO');
  }
  const github = parseSourceConfig({ github: raw }).github!;
  const probe: SourceRecord = {
    tenantId: '',
    id: input.id,
    gitUrl: input.gitUrl ?? '',
    isPrivate: false,
    config: { github },
    createTime: 0,
  };
  const { owner, repo } = githubRepoOf(probe);
  const serverConfig = buildRepoConfig(
    input.githubApiUrl ? { githubApiUrl: input.githubApiUrl } : {},
    env,
  ).github;
  const endpoint = new GitHubAccess(serverConfig, env).forRecord(probe);
  const token = await endpoint.tokens.token(owner, repo);
  let data: { clone_url: string; default_branch: string; private: boolean };
  try {
    data = (await (await octokit(endpoint.apiUrl, token)).rest.repos.get({ owner, repo })).data;
  } catch (e) {
    throw new Error(`cannot read ${owner}/${repo} from ${endpoint.apiUrl}: ${describeGitHubError(e)}`);
  }
  const gitUrl = input.gitUrl ?? data.clone_url;
  return {
    gitUrl,
    remote: remoteFromUrl(gitUrl, githubTokenCredentials(token)),
    github,
    defaultBranch: data.default_branch,
    isPrivate: data.private,
  };
}

function defined<T extends Record<string, string | undefined>>(o: T): { [K in keyof T]?: string } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: string;
  };
}
