/**
 * Gitea and Forgejo sources (REST v1): git over HTTPS with the source's token, branches and the
 * default branch from the API, and pull requests. A branch gets one pull request: a follow-up or a
 * retry updates the open one instead of opening another.
 */
import type { PullRequest } from '../../domain/activity.ts';
import type { SourceRecord } from '../../store/store.ts';
import { type GitRemote, remoteFromUrl } from '../../workspace/git-auth.ts';
import { readHostToken } from '../host-token.ts';
import type { RepoBranches, ReviewRequest, SourceProvider } from '../provider.ts';
import {
  DEFAULT_GITEA_URL,
  type HostSourceConfig,
  hostProjectOf,
  parseSourceConfig,
} from '../source-config.ts';
import { describeGiteaError, GiteaApiError, GiteaClient } from './gitea-client.ts';

const MAX_BRANCHES = 1000;
const MAX_OPEN_PULLS = 500;

interface RepoJson {
  full_name: string;
  clone_url: string;
  html_url: string;
  default_branch?: string;
  private: boolean;
}

interface PullJson {
  number: number;
  html_url: string;
  title: string;
  body: string | null;
  state: string;
  head: { ref: string };
}

export interface GiteaRepo {
  fullName: string;
  cloneUrl: string;
  defaultBranch: string | undefined;
  isPrivate: boolean;
}

export class GiteaProvider implements SourceProvider {
  readonly specificationVersion = 'v1' as const;
  readonly kind = 'gitea' as const;
  readonly #env: NodeJS.ProcessEnv;

  /** `env` holds the variables sources name for their tokens (the server's environment). */
  constructor(env: NodeJS.ProcessEnv = process.env) {
    this.#env = env;
  }

  async remote(record: SourceRecord): Promise<GitRemote> {
    const { token } = await this.#endpoint(record);
    // Gitea and Forgejo take a token as the password of any user name.
    return remoteFromUrl(record.gitUrl, { username: 'stint', password: token });
  }

  async branches(record: SourceRecord): Promise<RepoBranches> {
    const { api, repoPath } = await this.#endpoint(record);
    try {
      const info = await api.request<RepoJson>('GET', repoPath);
      const branches = await api.all<{ name: string }>(`${repoPath}/branches`, {}, MAX_BRANCHES);
      const names = branches.map((b) => b.name).sort();
      return info.default_branch
        ? { branches: names, defaultBranch: info.default_branch }
        : { branches: names };
    } catch (e) {
      throw new Error(
        `cannot read the branches of ${repoPath.slice('/repos/'.length)}: ${describeGiteaError(e)}`,
        { cause: e },
      );
    }
  }

  async openReview(req: ReviewRequest): Promise<PullRequest> {
    const { api, repoPath } = await this.#endpoint(req.record);
    try {
      const pr = (await findOpen(api, repoPath, req.headRef)) ?? (await create(api, repoPath, req));
      if (pr.title !== req.title || (pr.body ?? '') !== req.body) {
        await api.request('PATCH', `${repoPath}/pulls/${pr.number}`, { title: req.title, body: req.body });
      }
      return {
        url: pr.html_url,
        title: req.title,
        description: req.body,
        baseRef: req.baseRef,
        headRef: req.headRef,
      };
    } catch (e) {
      throw new Error(
        `could not open the pull request on ${repoPath.slice('/repos/'.length)}: ${describeGiteaError(e)}`,
      );
    }
  }

  async #endpoint(record: SourceRecord): Promise<{ api: GiteaClient; token: string; repoPath: string }> {
    const config = giteaConfigOf(record);
    const token = await readHostToken('Gitea', config, this.#env);
    return {
      api: new GiteaClient(config.url ?? DEFAULT_GITEA_URL, token),
      token,
      repoPath: repoPathOf(hostProjectOf(record, config)),
    };
  }
}

export function giteaConfigOf(record: SourceRecord): HostSourceConfig {
  const config = parseSourceConfig(record.config).gitea;
  if (!config) throw new Error(`source ${record.id} is not a Gitea source`);
  return config;
}

const repoPathOf = (ownerRepo: string) => {
  const [owner, repo] = ownerRepo.split('/') as [string, string];
  return `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}`;
};

/** The repository as Gitea describes it (registration: clone URL, default branch, visibility). */
export async function lookupGiteaRepo(
  config: HostSourceConfig,
  ownerRepo: string,
  env: NodeJS.ProcessEnv,
): Promise<GiteaRepo> {
  const url = config.url ?? DEFAULT_GITEA_URL;
  const api = new GiteaClient(url, await readHostToken('Gitea', config, env));
  try {
    const r = await api.request<RepoJson>('GET', repoPathOf(ownerRepo));
    return {
      fullName: r.full_name,
      cloneUrl: r.clone_url,
      defaultBranch: r.default_branch || undefined,
      isPrivate: r.private,
    };
  } catch (e) {
    throw new Error(`cannot read ${ownerRepo} from ${url}: ${describeGiteaError(e)}`);
  }
}

async function findOpen(api: GiteaClient, repoPath: string, head: string): Promise<PullJson | undefined> {
  const open = await api.all<PullJson>(`${repoPath}/pulls`, { state: 'open' }, MAX_OPEN_PULLS);
  return open.find((p) => p.head.ref === head);
}

async function create(api: GiteaClient, repoPath: string, req: ReviewRequest): Promise<PullJson> {
  try {
    return await api.request<PullJson>('POST', `${repoPath}/pulls`, {
      head: req.headRef,
      base: req.baseRef,
      title: req.title,
      body: req.body,
    });
  } catch (e) {
    // Opened meanwhile (another attempt of the same session): Gitea answers 409; use that one.
    if (e instanceof GiteaApiError && e.status === 409) {
      const open = await findOpen(api, repoPath, req.headRef);
      if (open) return open;
    }
    throw e;
  }
}
