/**
 * GitHub sources: git over HTTPS with a token (the source's own, the server's, or a GitHub App
 * installation token), and pull requests through the REST API. A branch gets one pull request: a
 * follow-up or a retry updates the open one instead of opening another.
 */
import type { PullRequest } from '../../domain/activity.ts';
import type { SourceRecord } from '../../store/store.ts';
import { type GitRemote, githubTokenCredentials, remoteFromUrl } from '../../workspace/git-auth.ts';
import type { ReviewRequest, SourceProvider } from '../provider.ts';
import { githubRepoOf } from '../source-config.ts';
import type { GitHubAccess } from './github-access.ts';
import { describeGitHubError, octokit } from './octokit.ts';

type Octo = Awaited<ReturnType<typeof octokit>>;

export class GitHubProvider implements SourceProvider {
  readonly specificationVersion = 'v1' as const;
  readonly kind = 'github' as const;
  readonly #access: GitHubAccess;

  constructor(access: GitHubAccess) {
    this.#access = access;
  }

  async remote(record: SourceRecord): Promise<GitRemote> {
    const { owner, repo } = githubRepoOf(record);
    const token = await this.#access.forRecord(record).tokens.token(owner, repo);
    return remoteFromUrl(record.gitUrl, githubTokenCredentials(token));
  }

  async openReview(req: ReviewRequest): Promise<PullRequest> {
    const { owner, repo } = githubRepoOf(req.record);
    const endpoint = this.#access.forRecord(req.record);
    const gh = await octokit(endpoint.apiUrl, await endpoint.tokens.token(owner, repo));
    try {
      const pr = (await findOpen(gh, owner, repo, req.headRef)) ?? (await create(gh, owner, repo, req));
      if (pr.title !== req.title || (pr.body ?? '') !== req.body) {
        await gh.rest.pulls.update({ owner, repo, pull_number: pr.number, title: req.title, body: req.body });
      }
      return {
        url: pr.html_url,
        title: req.title,
        description: req.body,
        baseRef: req.baseRef,
        headRef: req.headRef,
      };
    } catch (e) {
      throw new Error(`could not open the pull request on ${owner}/${repo}: ${describeGitHubError(e)}`);
    }
  }
}

interface Pr {
  number: number;
  html_url: string;
  title: string;
  body: string | null;
}

async function findOpen(gh: Octo, owner: string, repo: string, head: string): Promise<Pr | undefined> {
  const { data } = await gh.rest.pulls.list({
    owner,
    repo,
    state: 'open',
    head: `${owner}:${head}`,
    per_page: 10,
  });
  return data.find((p) => p.head.ref === head);
}

async function create(gh: Octo, owner: string, repo: string, req: ReviewRequest): Promise<Pr> {
  try {
    const { data } = await gh.rest.pulls.create({
      owner,
      repo,
      title: req.title,
      body: req.body,
      head: req.headRef,
      base: req.baseRef,
    });
    return data;
  } catch (e) {
    // Opened meanwhile (another attempt of the same session): use that one.
    if ((e as { status?: number }).status === 422) {
      const open = await findOpen(gh, owner, repo, req.headRef);
      if (open) return open;
    }
    throw e;
  }
}
