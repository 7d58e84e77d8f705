// The repositories the server's GitHub credentials can see (a token's repositories, or every
// repository of every installation of the GitHub App), with their branches, briefly cached. When
// GitHub cannot be reached, the last good answer is served.
import type { RepoBranches } from '../provider.ts';
import type { GitHubAccess } from './github-access.ts';
import { octokit } from './octokit.ts';

export interface GitHubRepoInfo {
  owner: string;
  repo: string;
  isPrivate: boolean;
  defaultBranch: string;
  cloneUrl: string;
}

const MAX_REPOS = 10_000;
const MAX_BRANCHES = 1000;

interface Cached<T> {
  at: number;
  value: Promise<T>;
  good?: T;
}

export class GitHubCatalog {
  readonly #access: GitHubAccess;
  readonly #ttlMs: number;
  #repos: Cached<GitHubRepoInfo[]> | undefined;
  readonly #branches = new Map<string, Cached<RepoBranches>>();

  constructor(access: GitHubAccess, ttlMs = 60_000) {
    this.#access = access;
    this.#ttlMs = ttlMs;
  }

  /** Every visible repository, sorted by owner/repo. */
  repos(): Promise<GitHubRepoInfo[]> {
    this.#repos = this.#refresh(this.#repos, () => this.#listRepos());
    return this.#repos.value;
  }

  /** One repository: from the list, else asked directly (it may be newer than the list). */
  async find(owner: string, repo: string): Promise<GitHubRepoInfo | undefined> {
    const lower = `${owner}/${repo}`.toLowerCase();
    const all = await this.repos().catch(() => [] as GitHubRepoInfo[]);
    const listed = all.find((r) => `${r.owner}/${r.repo}`.toLowerCase() === lower);
    if (listed) return listed;
    const server = this.#access.server;
    if (!server) return undefined;
    try {
      const gh = await octokit(server.apiUrl, await server.tokens.token(owner, repo));
      const { data } = await gh.rest.repos.get({ owner, repo });
      return toInfo(data);
    } catch (e) {
      if ((e as { status?: number }).status === 404) return undefined;
      throw e;
    }
  }

  branches(info: GitHubRepoInfo): Promise<RepoBranches> {
    const key = `${info.owner}/${info.repo}`;
    const entry = this.#refresh(this.#branches.get(key), () => this.#listBranches(info));
    this.#branches.set(key, entry);
    return entry.value;
  }

  #refresh<T>(entry: Cached<T> | undefined, load: () => Promise<T>): Cached<T> {
    if (entry && Date.now() - entry.at < this.#ttlMs) return entry;
    const previous = entry?.good;
    const next: Cached<T> = { at: Date.now(), value: Promise.resolve() as Promise<T> };
    if (previous !== undefined) next.good = previous;
    next.value = load().then(
      (value) => {
        next.good = value;
        return value;
      },
      (e: unknown) => {
        next.at = 0; // retry on the next call
        if (previous !== undefined) return previous;
        throw e;
      },
    );
    return next;
  }

  async #listRepos(): Promise<GitHubRepoInfo[]> {
    const server = this.#access.server;
    if (!server) return [];
    const raw: RawRepo[] = [];
    const app = this.#access.app;
    if (app) {
      for (const id of await app.installations()) {
        const gh = await octokit(server.apiUrl, await app.installationToken(id));
        raw.push(...(await gh.paginate(gh.rest.apps.listReposAccessibleToInstallation, { per_page: 100 })));
        if (raw.length >= MAX_REPOS) break;
      }
    } else {
      const gh = await octokit(server.apiUrl, await server.tokens.token('', ''));
      raw.push(
        ...(await gh.paginate(gh.rest.repos.listForAuthenticatedUser, { per_page: 100 }, (res, done) => {
          if (raw.length + res.data.length >= MAX_REPOS) done();
          return res.data;
        })),
      );
    }
    const seen = new Map<string, GitHubRepoInfo>();
    for (const r of raw.slice(0, MAX_REPOS)) {
      const info = toInfo(r);
      if (info) seen.set(`${info.owner}/${info.repo}`, info);
    }
    return [...seen.values()].sort((a, b) => compare(`${a.owner}/${a.repo}`, `${b.owner}/${b.repo}`));
  }

  async #listBranches(info: GitHubRepoInfo): Promise<RepoBranches> {
    const server = this.#access.server;
    if (!server) return { branches: [], defaultBranch: info.defaultBranch };
    const gh = await octokit(server.apiUrl, await server.tokens.token(info.owner, info.repo));
    const names: string[] = [];
    await gh.paginate(
      gh.rest.repos.listBranches,
      { owner: info.owner, repo: info.repo, per_page: 100 },
      (res, done) => {
        for (const b of res.data) names.push(b.name);
        if (names.length >= MAX_BRANCHES) done();
        return [];
      },
    );
    return { branches: names.slice(0, MAX_BRANCHES).sort(), defaultBranch: info.defaultBranch };
  }
}

interface RawRepo {
  name: string;
  owner: { login: string };
  private: boolean;
  default_branch?: string;
  clone_url?: string;
}

function toInfo(r: RawRepo): GitHubRepoInfo | undefined {
  if (!r.clone_url) return undefined;
  return {
    owner: r.owner.login,
    repo: r.name,
    isPrivate: r.private,
    defaultBranch: r.default_branch ?? 'main',
    cloneUrl: r.clone_url,
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
