// Server settings for repositories: workspaces (pool, retention), pushed branches, and the server's
// GitHub credentials. Flags win over environment variables. Only the NAMES of the variables holding
// secrets are kept here, so logging the configuration can never reveal them.

import { availableParallelism } from 'node:os';
import { envInt, type Fail } from '../env-int.ts';
import { gitHelperCount } from '../workspace/git-helpers.ts';
import { isSafeRefName } from '../workspace/refs.ts';
import { changeWatchEnabled } from '../workspace/watch/change-watch.ts';
import { REVIEW_HOSTS, type ReviewHost } from './reviews/review-comment.ts';

export interface GitHubAppConfig {
  appId: string;
  /** Environment variable holding the PEM private key, or a file with it. */
  privateKeyEnv?: string;
  privateKeyFile?: string;
  /** Use this installation for every repository (default: the repository's own installation). */
  installationId?: number;
}

export interface GitHubServerConfig {
  apiUrl: string;
  /** Environment variable holding a token. */
  tokenEnv?: string;
  app?: GitHubAppConfig;
  /** Tenants that see the repositories the credentials can reach as sources ('*': every tenant). */
  tenants: readonly string[] | '*';
  /** List those repositories as sources (STINT_GITHUB_DISCOVER=0 turns it off). */
  discover: boolean;
}

export interface RepoConfig {
  /** Sessions push to `<prefix><session id>`. */
  branchPrefix: string;
  /** How long a finished session's checkout is kept (0: removed at once). */
  retentionMs: number;
  /** Ready checkouts per busy source/branch (0: no warm pool). */
  poolSize: number;
  poolIdleMs: number;
  maxPooledCheckouts: number;
  /** STINT_WORKSPACE_BUILDS: new checkouts (every file written) at a time; more sessions wait. */
  buildSlots: number;
  /** STINT_GIT_HELPERS: helper processes that spawn the server's git processes (0: the server does). */
  gitHelpers: number;
  /** STINT_CHANGE_WATCH: what a command touched is learnt from inotify instead of a walk of the tree. */
  changeWatch: boolean;
  /** A session start skips the mirror fetch when the last one is younger than this (0: always fetch). */
  mirrorFetchIntervalMs: number;
  github: GitHubServerConfig | undefined;
  /** Review comments delivered by webhooks (off unless a webhook secret is configured). */
  reviews: ReviewHooksConfig | undefined;
}

export interface ReviewHooksConfig {
  /** A comment must mention this handle (e.g. `@stint`) to reach the session. */
  handle: string;
  /** Per host: the environment variable holding its webhook secret (no entry: that host is off). */
  secretEnv: Partial<Record<ReviewHost, string>>;
}

export interface RepoFlags {
  githubApiUrl?: string;
  branchPrefix?: string;
  workspaceRetention?: string;
}

export const DEFAULT_GITHUB_API_URL = 'https://api.github.com';

export function buildRepoConfig(
  flags: RepoFlags,
  env: NodeJS.ProcessEnv,
  fail: Fail = (m) => new Error(m),
): RepoConfig {
  const branchPrefix = flags.branchPrefix ?? env.STINT_BRANCH_PREFIX ?? 'stint/';
  if (!isSafeRefName(`${branchPrefix}x`) || /[/]{2}/.test(branchPrefix)) {
    throw fail(`--branch-prefix gives invalid branch names: '${branchPrefix}'.`);
  }
  return Object.freeze({
    branchPrefix,
    retentionMs: duration(
      '--workspace-retention',
      flags.workspaceRetention ?? env.STINT_WORKSPACE_RETENTION,
      0,
      fail,
    ),
    poolSize: envInt(fail, 'STINT_WORKSPACE_POOL_SIZE', env.STINT_WORKSPACE_POOL_SIZE, 2, 0, 16),
    poolIdleMs: duration('STINT_WORKSPACE_POOL_IDLE', env.STINT_WORKSPACE_POOL_IDLE, 3600_000, fail),
    maxPooledCheckouts: envInt(fail, 'STINT_WORKSPACE_POOL_MAX', env.STINT_WORKSPACE_POOL_MAX, 32, 0, 1000),
    buildSlots: envInt(
      fail,
      'STINT_WORKSPACE_BUILDS',
      env.STINT_WORKSPACE_BUILDS,
      Math.min(availableParallelism(), 64),
      1,
      256,
    ),
    gitHelpers: gitHelperCount(env, fail),
    changeWatch: changeWatchEnabled(env.STINT_CHANGE_WATCH, fail),
    mirrorFetchIntervalMs: duration(
      'STINT_MIRROR_FETCH_INTERVAL',
      env.STINT_MIRROR_FETCH_INTERVAL,
      2000,
      fail,
    ),
    github: githubConfig(flags, env, fail),
    reviews: reviewsConfig(env, fail),
  });
}

/** STINT_REVIEW_SECRET (every host) or STINT_REVIEW_SECRET_GITHUB / _GITLAB / _GITEA, and STINT_REVIEW_HANDLE. */
function reviewsConfig(env: NodeJS.ProcessEnv, fail: Fail): ReviewHooksConfig | undefined {
  const secretEnv: Partial<Record<ReviewHost, string>> = {};
  for (const host of REVIEW_HOSTS) {
    const own = `STINT_REVIEW_SECRET_${host.toUpperCase()}`;
    if (env[own]) secretEnv[host] = own;
    else if (env.STINT_REVIEW_SECRET) secretEnv[host] = 'STINT_REVIEW_SECRET';
  }
  if (Object.keys(secretEnv).length === 0) return undefined;
  const raw = (env.STINT_REVIEW_HANDLE ?? '@stint').trim();
  if (!/^@?[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$/.test(raw)) {
    throw fail(`STINT_REVIEW_HANDLE must be a user name such as @stint; got '${raw}'.`);
  }
  return { handle: raw.startsWith('@') ? raw : `@${raw}`, secretEnv };
}

function githubConfig(flags: RepoFlags, env: NodeJS.ProcessEnv, fail: Fail): GitHubServerConfig | undefined {
  const apiUrl = (flags.githubApiUrl ?? env.STINT_GITHUB_API_URL ?? DEFAULT_GITHUB_API_URL).replace(
    /\/+$/,
    '',
  );
  if (!/^https?:\/\/[^/]/.test(apiUrl))
    throw fail(`--github-api-url must be an http(s) URL; got '${apiUrl}'.`);
  const tokenEnv = env.STINT_GITHUB_TOKEN ? 'STINT_GITHUB_TOKEN' : undefined;
  let app: GitHubAppConfig | undefined;
  if (env.STINT_GITHUB_APP_ID) {
    if (!/^\d+$/.test(env.STINT_GITHUB_APP_ID)) throw fail('STINT_GITHUB_APP_ID must be a number.');
    app = { appId: env.STINT_GITHUB_APP_ID };
    if (env.STINT_GITHUB_APP_PRIVATE_KEY) app.privateKeyEnv = 'STINT_GITHUB_APP_PRIVATE_KEY';
    else if (env.STINT_GITHUB_APP_PRIVATE_KEY_FILE)
      app.privateKeyFile = env.STINT_GITHUB_APP_PRIVATE_KEY_FILE;
    else {
      throw fail(
        'STINT_GITHUB_APP_ID needs STINT_GITHUB_APP_PRIVATE_KEY (PEM) or STINT_GITHUB_APP_PRIVATE_KEY_FILE.',
      );
    }
    if (env.STINT_GITHUB_APP_INSTALLATION_ID) {
      app.installationId = envInt(
        fail,
        'STINT_GITHUB_APP_INSTALLATION_ID',
        env.STINT_GITHUB_APP_INSTALLATION_ID,
        0,
        0,
        2 ** 53,
      );
    }
  }
  if (!tokenEnv && !app && flags.githubApiUrl === undefined && env.STINT_GITHUB_API_URL === undefined)
    return undefined;
  const tenantsRaw = (env.STINT_GITHUB_TENANTS ?? 'default').trim();
  const tenants =
    tenantsRaw === '*'
      ? '*'
      : tenantsRaw
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean);
  const config: GitHubServerConfig = {
    apiUrl,
    tenants,
    discover: !/^(0|false|no|off)$/i.test(env.STINT_GITHUB_DISCOVER ?? ''),
  };
  if (tokenEnv) config.tokenEnv = tokenEnv;
  if (app) config.app = app;
  return config;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 };

/** `0`, `1500` (ms), `30s`, `15m`, `24h`, `7d`. */
export function duration(name: string, raw: string | undefined, fallback: number, fail: Fail): number {
  if (raw === undefined || raw === '') return fallback;
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(raw.trim());
  if (!m) throw fail(`${name} must be a duration such as 0, 30s, 15m, 24h or 7d; got '${raw}'.`);
  return Number(m[1]) * UNITS[m[2] ?? 'ms']!;
}
