/**
 * Everything about real repositories the API and the runner share: where sources come from and
 * which provider serves each (SourceDirectory), the session workspaces with their mirrors and warm
 * pool (Workspaces), and the settings for pushed branches.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Store } from '../store/store.ts';
import { setGitHelpers } from '../workspace/git-helpers.ts';
import { MirrorPins } from '../workspace/mirror/pins.ts';
import { changeWatchFor, setChangeWatch } from '../workspace/watch/change-watch.ts';
import { Workspaces } from '../workspace/workspaces.ts';
import { GitHubAccess } from './github/github-access.ts';
import { GitHubCatalog } from './github/github-catalog.ts';
import type { RepoConfig } from './repo-config.ts';
import { SourceDirectory } from './source-directory.ts';

export interface RepoServices {
  readonly config: RepoConfig;
  readonly directory: SourceDirectory;
  readonly workspaces: Workspaces;
  /** Origin of Stint's web UI, for session pages (`${publicUrl()}/sessions/{id}`). */
  publicUrl(): string;
  close(): Promise<void>;
}

export interface RepoServicesOptions {
  store: Store;
  config: RepoConfig;
  /** Session checkouts go here (mirrors and the warm pool in `.mirrors/` and `.pool/` inside it). */
  workspacesDir: string;
  publicUrl: () => string;
  log: Pick<Logger, 'warn'>;
}

export function createRepoServices(opts: RepoServicesOptions): RepoServices {
  const access = new GitHubAccess(opts.config.github);
  const catalog = access.server && opts.config.github?.discover ? new GitHubCatalog(access) : undefined;
  const directory = new SourceDirectory(opts.store, {
    access,
    github: opts.config.github,
    catalog,
    log: opts.log,
  });
  setGitHelpers(opts.config.gitHelpers);
  setChangeWatch(changeWatchFor(opts.config.changeWatch));
  const workspaces = new Workspaces({
    dir: opts.workspacesDir,
    poolSize: opts.config.poolSize,
    poolIdleMs: opts.config.poolIdleMs,
    maxPooledCheckouts: opts.config.maxPooledCheckouts,
    buildSlots: opts.config.buildSlots,
    fetchIntervalMs: opts.config.mirrorFetchIntervalMs,
    onBackgroundError: (err) => opts.log.warn({ err }, 'preparing a pooled checkout failed'),
    pins: new MirrorPins(opts.store.pins),
  });
  return {
    config: opts.config,
    directory,
    workspaces,
    publicUrl: opts.publicUrl,
    close: () => workspaces.close(),
  };
}

/** Where a data dir keeps session workspaces. */
export const workspacesDirOf = (dataDir: string) => join(dataDir, 'workspaces');
