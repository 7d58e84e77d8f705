/** Sources as the API shows them: registry records plus branches read from the remote (briefly cached). */
import { failedPrecondition, invalidArgument, notFound, StintError } from '../domain/errors.ts';
import { isValidSourceId, sourceName } from '../domain/names.ts';
import { nowMicros } from '../domain/time.ts';
import type { RepoBranches } from '../sources/provider.ts';
import {
  classifyRemoteFailure,
  describeRemoteFailure,
  type RemoteFailure,
} from '../sources/remote-failure.ts';
import { usesGitHub } from '../sources/source-config.ts';
import type { SourceDirectory } from '../sources/source-directory.ts';
import type { SourceRecord, Store } from '../store/store.ts';
import { listRemoteBranches } from '../workspace/remote.ts';
import { backgroundFaults } from './background-faults.ts';

export interface SourceView {
  record: SourceRecord;
  name: string;
  branches: string[];
  defaultBranch: string | undefined;
  /** Set when the remote could not be read, and why (then `branches` is empty and proves nothing). */
  unreadable?: RemoteFailure;
  /** Kind of the provider that serves the source (git, github, ...). */
  provider: string;
}

interface CacheEntry {
  at: number;
  value: Promise<RepoBranches>;
}

export class SourceService {
  readonly #store: Store;
  readonly #cache = new Map<string, CacheEntry>();
  readonly #ttlMs: number;
  /** Registered and GitHub-listed sources with their providers (without it: registered ones only). */
  readonly #directory: SourceDirectory | undefined;

  constructor(store: Store, ttlMs = 10_000, directory?: SourceDirectory) {
    this.#store = store;
    this.#ttlMs = ttlMs;
    this.#directory = directory;
  }

  async get(tenantId: string, id: string): Promise<SourceView> {
    const find = (i: string) => this.#directory?.find(tenantId, i) ?? this.#store.getSource(tenantId, i);
    const record = isValidSourceId(id) ? await find(id) : undefined;
    if (!record) throw notFound(`Source '${sourceName(id)}' was not found.`);
    return this.view(record);
  }

  async list(tenantId: string, page: { afterId?: string; limit: number }): Promise<SourceView[]> {
    const records = await (this.#directory?.list(tenantId, page) ?? this.#store.listSources(tenantId, page));
    return Promise.all(records.map((r) => this.view(r)));
  }

  async view(record: SourceRecord): Promise<SourceView> {
    const remote = await (this.#directory?.branches(record) ?? this.#branches(record.gitUrl));
    const view: SourceView = {
      record,
      name: sourceName(record.id),
      branches: remote.branches,
      defaultBranch: record.defaultBranch ?? remote.defaultBranch,
      provider: this.#directory?.providerFor(record).kind ?? (usesGitHub(record) ? 'github' : 'git'),
    };
    if (remote.unreadable !== undefined) view.unreadable = remote.unreadable;
    return view;
  }

  /**
   * Checks that a branch exists on the source's remote. A remote that cannot be read proves
   * nothing: the check fails rather than accepting any branch — UNAVAILABLE (retried) when the host
   * could not be reached, FAILED_PRECONDITION when it refused the credentials or has no such
   * repository, which no retry fixes. With no branch (none given, no default known), the remote must
   * at least be readable.
   */
  async requireBranch(view: SourceView, branch: string | undefined): Promise<void> {
    const known = branch === undefined || view.branches.length === 0 || view.branches.includes(branch);
    if (view.unreadable === undefined && known) return;
    // The cached list may predate a push (or a failure that is over): read the remote once more.
    this.#cache.delete(view.record.gitUrl);
    this.#directory?.forget(view.record);
    const fresh = await (this.#directory?.branches(view.record) ?? this.#branches(view.record.gitUrl));
    if (fresh.unreadable !== undefined) {
      const what = branch === undefined ? 'its default branch' : `that branch '${branch}' exists`;
      const why = describeRemoteFailure(fresh.unreadable);
      if (fresh.unreadable !== 'unreachable') {
        throw failedPrecondition(`sourceContext.source: cannot check ${what} in ${view.name}: ${why}.`);
      }
      throw new StintError(
        'UNAVAILABLE',
        `sourceContext.source: cannot check ${what} in ${view.name}: ${why}. Try again later.`,
        {
          retryAfter: 10,
        },
      );
    }
    if (branch !== undefined && fresh.branches.length > 0 && !fresh.branches.includes(branch)) {
      throw invalidArgument(
        `sourceContext.githubRepoContext.startingBranch: branch '${branch}' does not exist in ${view.name}.`,
      );
    }
  }

  async register(input: Omit<SourceRecord, 'createTime'>): Promise<SourceRecord> {
    const record: SourceRecord = { ...input, createTime: nowMicros() };
    await this.#store.putSource(record);
    this.#cache.delete(record.gitUrl);
    this.#directory?.forget(record);
    return record;
  }

  #branches(gitUrl: string): Promise<RepoBranches> {
    const hit = this.#cache.get(gitUrl);
    if (hit && Date.now() - hit.at < this.#ttlMs) return hit.value;
    const value = listRemoteBranches(gitUrl).catch((e: unknown): RepoBranches => {
      backgroundFaults.record('branch_listing');
      return { branches: [], unreadable: classifyRemoteFailure(e) };
    });
    this.#cache.set(gitUrl, { at: Date.now(), value });
    return value;
  }
}
