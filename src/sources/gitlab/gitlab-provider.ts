/**
 * GitLab sources (gitlab.com or self-managed, REST v4): git over HTTPS with the source's token
 * (user `oauth2`), branches and the default branch from the API, and merge requests. A branch gets
 * one merge request: a follow-up or a retry updates the open one instead of opening another.
 */
import type { PullRequest } from '../../domain/activity.ts';
import type { SourceRecord } from '../../store/store.ts';
import { type GitRemote, remoteFromUrl } from '../../workspace/git-auth.ts';
import { readHostToken } from '../host-token.ts';
import type { RepoBranches, ReviewRequest, SourceProvider } from '../provider.ts';
import {
  DEFAULT_GITLAB_URL,
  type HostSourceConfig,
  hostProjectOf,
  parseSourceConfig,
} from '../source-config.ts';
import { describeGitLabError, type GitLabApi, GitLabApiError, gitlab } from './gitlab-client.ts';

const MAX_BRANCH_PAGES = 10; // 1,000 branches

export interface GitLabProject {
  /** The project's full path, e.g. group/subgroup/project. */
  path: string;
  cloneUrl: string;
  defaultBranch: string | undefined;
  isPrivate: boolean;
  webUrl: string;
}

interface Endpoint {
  api: GitLabApi;
  token: string;
  project: string;
  url: string;
}

export class GitLabProvider implements SourceProvider {
  readonly specificationVersion = 'v1' as const;
  readonly kind = 'gitlab' as const;
  readonly #env: NodeJS.ProcessEnv;

  /** `env` holds the variables sources name for their tokens (the server's environment). */
  constructor(env: NodeJS.ProcessEnv = process.env) {
    this.#env = env;
  }

  async remote(record: SourceRecord): Promise<GitRemote> {
    const { token } = await this.#endpoint(record);
    return remoteFromUrl(record.gitUrl, { username: 'oauth2', password: token });
  }

  async branches(record: SourceRecord): Promise<RepoBranches> {
    const { api, project } = await this.#endpoint(record);
    try {
      // One after the other: a bad token costs one request.
      const info = await api.Projects.show(project);
      const branches = await api.Branches.all(project, { perPage: 100, maxPages: MAX_BRANCH_PAGES });
      const names = branches.map((b) => b.name).sort();
      return info.default_branch
        ? { branches: names, defaultBranch: info.default_branch }
        : { branches: names };
    } catch (e) {
      throw new Error(`cannot read the branches of ${project}: ${describeGitLabError(e)}`, { cause: e });
    }
  }

  async openReview(req: ReviewRequest): Promise<PullRequest> {
    const { api, project } = await this.#endpoint(req.record);
    try {
      const mr = (await findOpen(api, project, req.headRef)) ?? (await create(api, project, req));
      if (mr.title !== req.title || (mr.description ?? '') !== req.body) {
        await api.MergeRequests.edit(project, mr.iid, { title: req.title, description: req.body });
      }
      return {
        url: mr.web_url,
        title: req.title,
        description: req.body,
        baseRef: req.baseRef,
        headRef: req.headRef,
      };
    } catch (e) {
      throw new Error(`could not open the merge request on ${project}: ${describeGitLabError(e)}`);
    }
  }

  async #endpoint(record: SourceRecord): Promise<Endpoint> {
    const config = gitlabConfigOf(record);
    const token = await readHostToken('GitLab', config, this.#env);
    const url = config.url ?? DEFAULT_GITLAB_URL;
    return { api: await gitlab(url, token), token, project: hostProjectOf(record, config), url };
  }
}

export function gitlabConfigOf(record: SourceRecord): HostSourceConfig {
  const config = parseSourceConfig(record.config).gitlab;
  if (!config) throw new Error(`source ${record.id} is not a GitLab source`);
  return config;
}

/** The project as GitLab describes it (registration: clone URL, default branch, visibility). */
export async function lookupGitLabProject(
  config: HostSourceConfig,
  project: string,
  env: NodeJS.ProcessEnv,
): Promise<GitLabProject> {
  const url = config.url ?? DEFAULT_GITLAB_URL;
  const api = await gitlab(url, await readHostToken('GitLab', config, env));
  try {
    const p = await api.Projects.show(project);
    return {
      path: p.path_with_namespace,
      cloneUrl: p.http_url_to_repo,
      defaultBranch: p.default_branch || undefined,
      isPrivate: p.visibility !== 'public',
      webUrl: p.web_url,
    };
  } catch (e) {
    throw new Error(`cannot read ${project} from ${url}: ${describeGitLabError(e)}`);
  }
}

interface Mr {
  iid: number;
  web_url: string;
  title: string;
  description: string | null;
}

async function findOpen(api: GitLabApi, project: string, head: string): Promise<Mr | undefined> {
  const list = await api.MergeRequests.all({
    projectId: project,
    sourceBranch: head,
    state: 'opened',
    perPage: 20,
    maxPages: 1,
  });
  return list.find((m) => m.source_branch === head) as Mr | undefined;
}

async function create(api: GitLabApi, project: string, req: ReviewRequest): Promise<Mr> {
  try {
    return (await api.MergeRequests.create(project, req.headRef, req.baseRef, req.title, {
      description: req.body,
      removeSourceBranch: false,
    })) as Mr;
  } catch (e) {
    // Opened meanwhile (another attempt of the same session): GitLab answers 409; use that one.
    if (e instanceof GitLabApiError && e.status === 409) {
      const open = await findOpen(api, project, req.headRef);
      if (open) return open;
    }
    throw e;
  }
}
