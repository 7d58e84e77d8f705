/**
 * Every source a tenant can use: those registered with `stint sources add` and, for tenants the
 * server's GitHub credentials serve, the repositories those credentials can see. A registered
 * source wins over a listed one with the same id. Also picks each source's provider and reads its
 * branches (briefly cached).
 */
import type { Logger } from 'pino';
import { backgroundFaults } from '../services/background-faults.ts';
import type { SourceRecord, Store } from '../store/store.ts';
import { listRemoteBranches } from '../workspace/remote.ts';
import { GitProvider } from './git/git-provider.ts';
import { GiteaProvider } from './gitea/gitea-provider.ts';
import type { GitHubAccess } from './github/github-access.ts';
import type { GitHubCatalog, GitHubRepoInfo } from './github/github-catalog.ts';
import { GitHubProvider } from './github/github-provider.ts';
import { GitLabProvider } from './gitlab/gitlab-provider.ts';
import type { RepoBranches, SourceProvider } from './provider.ts';
import { classifyRemoteFailure } from './remote-failure.ts';
import type { GitHubServerConfig } from './repo-config.ts';
import { parseSourceConfig, usesGitHub } from './source-config.ts';

export interface SourceDirectoryOptions {
  access: GitHubAccess;
  github: GitHubServerConfig | undefined;
  catalog: GitHubCatalog | undefined;
  branchTtlMs?: number;
  log?: Pick<Logger, 'warn'>;
  /** Where sources' token variables are read (default: the process environment). */
  env?: NodeJS.ProcessEnv;
}

const MAX_REGISTERED = 10_000;

export class SourceDirectory {
  readonly #store: Store;
  readonly #opts: SourceDirectoryOptions;
  readonly #git = new GitProvider();
  readonly #github: GitHubProvider;
  readonly #gitlab: GitLabProvider;
  readonly #gitea: GiteaProvider;
  readonly #branchCache = new Map<string, { at: number; value: Promise<RepoBranches> }>();

  constructor(store: Store, opts: SourceDirectoryOptions) {
    this.#store = store;
    this.#opts = opts;
    this.#github = new GitHubProvider(opts.access);
    this.#gitlab = new GitLabProvider(opts.env);
    this.#gitea = new GiteaProvider(opts.env);
  }

  providerFor(record: SourceRecord): SourceProvider {
    const config = parseSourceConfig(record.config);
    if (config.gitlab) return this.#gitlab;
    if (config.gitea) return this.#gitea;
    return usesGitHub(record) ? this.#github : this.#git;
  }

  async find(tenantId: string, id: string): Promise<SourceRecord | undefined> {
    const registered = await this.#store.getSource(tenantId, id);
    if (registered) return registered;
    const [provider, owner, repo] = id.split('/');
    if (provider !== 'github' || !owner || !repo || !this.#discovers(tenantId)) return undefined;
    const info = await this.#opts.catalog!.find(owner, repo).catch((e: unknown) => {
      this.#opts.log?.warn({ err: e }, 'listing GitHub repositories failed');
      return undefined;
    });
    return info && discoveredRecord(tenantId, info);
  }

  async list(tenantId: string, page: { afterId?: string; limit: number }): Promise<SourceRecord[]> {
    const registered = await this.#store.listSources(tenantId, { limit: MAX_REGISTERED });
    const byId = new Map<string, SourceRecord>();
    if (this.#discovers(tenantId)) {
      const repos = await this.#opts.catalog!.repos().catch((e: unknown) => {
        this.#opts.log?.warn({ err: e }, 'listing GitHub repositories failed');
        return [] as GitHubRepoInfo[];
      });
      for (const info of repos) {
        const record = discoveredRecord(tenantId, info);
        byId.set(record.id, record);
      }
    }
    for (const record of registered) byId.set(record.id, record);
    return [...byId.values()]
      .filter((r) => page.afterId === undefined || r.id > page.afterId)
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .slice(0, page.limit);
  }

  /** The source's branches; empty and marked `unreadable` when the remote cannot be read right now. */
  branches(record: SourceRecord): Promise<RepoBranches> {
    const key = `${record.tenantId}\0${record.id}\0${record.gitUrl}`;
    const hit = this.#branchCache.get(key);
    if (hit && Date.now() - hit.at < (this.#opts.branchTtlMs ?? 10_000)) return hit.value;
    const value = this.#readBranches(record).catch((e: unknown): RepoBranches => {
      backgroundFaults.record('branch_listing');
      this.#opts.log?.warn({ err: e, source: record.id }, 'reading the branches of a source failed');
      return { branches: [], unreadable: classifyRemoteFailure(e) };
    });
    this.#branchCache.set(key, { at: Date.now(), value });
    return value;
  }

  /** Drops cached branches of a source (after it was registered again). */
  forget(record: Pick<SourceRecord, 'tenantId' | 'id' | 'gitUrl'>): void {
    this.#branchCache.delete(`${record.tenantId}\0${record.id}\0${record.gitUrl}`);
  }

  async #readBranches(record: SourceRecord): Promise<RepoBranches> {
    if (parseSourceConfig(record.config).discovered) {
      const [, owner, repo] = record.id.split('/') as [string, string, string];
      const info = await this.#opts.catalog?.find(owner, repo);
      if (info) return this.#opts.catalog!.branches(info);
    }
    const provider = this.providerFor(record);
    if (provider.branches) return provider.branches(record);
    const remote = await provider.remote(record);
    return listRemoteBranches(remote.url, { env: remote.env });
  }

  #discovers(tenantId: string): boolean {
    const gh = this.#opts.github;
    if (!gh?.discover || !this.#opts.catalog || !this.#opts.access.server) return false;
    return gh.tenants === '*' || gh.tenants.includes(tenantId);
  }
}

function discoveredRecord(tenantId: string, info: GitHubRepoInfo): SourceRecord {
  return {
    tenantId,
    id: `github/${info.owner}/${info.repo}`,
    gitUrl: info.cloneUrl,
    defaultBranch: info.defaultBranch,
    isPrivate: info.isPrivate,
    config: { discovered: true },
    createTime: 0,
  };
}
