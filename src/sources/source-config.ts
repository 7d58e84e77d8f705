// What a source's `config` JSON may say about the provider behind it. Credentials are never stored
// here, only where to find them when needed (an environment variable of the server, or a file).
import { parseHostPatterns } from '../sandbox/network/host-patterns.ts';
import type { SourceRecord } from '../store/store.ts';
import type { SourceSetupConfig } from './setup-config.ts';

export interface GitHubSourceConfig {
  /** The repository on GitHub; default: owner and repo of the source id. */
  owner?: string;
  repo?: string;
  /** The server reads the token from this environment variable when it needs it. */
  tokenEnv?: string;
  /** ... or from this file (its first line). */
  tokenFile?: string;
  /** Use the server's GitHub credentials (STINT_GITHUB_TOKEN or the GitHub App). */
  useServer?: boolean;
  /** API base for GitHub Enterprise, e.g. https://ghe.example.com/api/v3. */
  apiUrl?: string;
}

/** A GitLab or Gitea/Forgejo source: where its project is and where its token is found. */
export interface HostSourceConfig {
  /** GitLab: the project's full path (group/subgroup/project); Gitea: owner/repo. Default: from the id. */
  project?: string;
  /** The server reads the token from this environment variable when it needs it. */
  tokenEnv?: string;
  /** ... or from this file (its first line). */
  tokenFile?: string;
  /** The host's base URL (self-managed), e.g. https://gitlab.example.com. */
  url?: string;
}

export const DEFAULT_GITLAB_URL = 'https://gitlab.com';
export const DEFAULT_GITEA_URL = 'https://gitea.com';

export interface SourceConfig {
  github?: GitHubSourceConfig;
  gitlab?: HostSourceConfig;
  gitea?: HostSourceConfig;
  /** Listed from GitHub by the server's credentials, not registered. */
  discovered?: boolean;
  /** Sessions' commands use the host's network (`sources add --allow-network`). */
  network?: boolean;
  /** Hosts sessions' commands may reach through the allowlist proxy (`--allow-host`). */
  allowHosts?: string[];
  /** Setup commands and their cache (src/sources/setup-config.ts). */
  setup?: SourceSetupConfig;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const NAME = /^[A-Za-z0-9_.-]{1,100}$/;

/** Validates a source's config (from the CLI or the store); throws with a message naming the field. */
export function parseSourceConfig(raw: Record<string, unknown>): SourceConfig {
  const out: SourceConfig = {};
  if (raw.discovered === true) out.discovered = true;
  if (raw.network === true) out.network = true;
  if (raw.allowHosts !== undefined) out.allowHosts = parseAllowHosts(raw.allowHosts);
  for (const host of ['gitlab', 'gitea'] as const) {
    if (raw[host] !== undefined) out[host] = parseHostConfig(host, raw[host]);
  }
  if (out.gitlab && out.gitea) throw new Error('config: a source is on GitLab or on Gitea, not both');
  const gh = raw.github;
  if (gh === undefined) return out;
  if (out.gitlab || out.gitea) throw new Error('config: a source is on one host only');
  if (typeof gh !== 'object' || gh === null) throw new Error('config.github must be an object');
  const g = gh as Record<string, unknown>;
  const github: GitHubSourceConfig = {};
  for (const key of ['owner', 'repo'] as const) {
    const v = g[key];
    if (v === undefined) continue;
    if (typeof v !== 'string' || !NAME.test(v) || v === '.' || v === '..') {
      throw new Error(`config.github.${key} is not a valid name`);
    }
    github[key] = v;
  }
  if (g.tokenEnv !== undefined) {
    if (typeof g.tokenEnv !== 'string' || !ENV_NAME.test(g.tokenEnv)) {
      throw new Error('config.github.tokenEnv must be an environment variable name');
    }
    github.tokenEnv = g.tokenEnv;
  }
  if (g.tokenFile !== undefined) {
    if (typeof g.tokenFile !== 'string' || g.tokenFile === '')
      throw new Error('config.github.tokenFile must be a path');
    github.tokenFile = g.tokenFile;
  }
  if (g.useServer === true) github.useServer = true;
  if (g.apiUrl !== undefined) {
    if (typeof g.apiUrl !== 'string' || !/^https?:\/\//.test(g.apiUrl)) {
      throw new Error('config.github.apiUrl must be an http(s) URL');
    }
    github.apiUrl = g.apiUrl.replace(/\/+$/, '');
  }
  out.github = github;
  return out;
}

/** At most this many patterns per source (each is checked on every proxied connection). */
export const MAX_ALLOW_HOSTS = 200;

function parseAllowHosts(raw: unknown): string[] {
  if (!Array.isArray(raw) || raw.some((h) => typeof h !== 'string') || raw.length > MAX_ALLOW_HOSTS) {
    throw new Error(`config.allowHosts must be a list of at most ${MAX_ALLOW_HOSTS} host patterns`);
  }
  return parseHostPatterns(raw as string[], 'config.allowHosts').map((p) => p.text);
}

const PROJECT_SEGMENT = /^[A-Za-z0-9_.-]{1,100}$/;

function parseHostConfig(host: 'gitlab' | 'gitea', raw: unknown): HostSourceConfig {
  if (typeof raw !== 'object' || raw === null) throw new Error(`config.${host} must be an object`);
  const h = raw as Record<string, unknown>;
  const out: HostSourceConfig = {};
  if (h.project !== undefined) {
    const parts = typeof h.project === 'string' ? h.project.split('/') : [];
    const ok =
      parts.length >= 2 &&
      (host === 'gitlab' ? parts.length <= 20 : parts.length === 2) &&
      parts.every((p) => PROJECT_SEGMENT.test(p) && p !== '.' && p !== '..');
    if (!ok) {
      throw new Error(
        `config.${host}.project must look like ${host === 'gitlab' ? 'GROUP[/SUBGROUP…]/PROJECT' : 'OWNER/REPO'}`,
      );
    }
    out.project = h.project as string;
  }
  if (h.tokenEnv !== undefined) {
    if (typeof h.tokenEnv !== 'string' || !ENV_NAME.test(h.tokenEnv)) {
      throw new Error(`config.${host}.tokenEnv must be an environment variable name`);
    }
    out.tokenEnv = h.tokenEnv;
  }
  if (h.tokenFile !== undefined) {
    if (typeof h.tokenFile !== 'string' || h.tokenFile === '')
      throw new Error(`config.${host}.tokenFile must be a path`);
    out.tokenFile = h.tokenFile;
  }
  if (out.tokenEnv === undefined && out.tokenFile === undefined) {
    throw new Error(`config.${host} needs tokenEnv or tokenFile`);
  }
  if (h.url !== undefined) {
    if (typeof h.url !== 'string' || !/^https?:\/\/[^/]/.test(h.url) || /[?#@]/.test(h.url)) {
      throw new Error(`config.${host}.url must be an http(s) URL without credentials`);
    }
    out.url = h.url.replace(/\/+$/, '');
  }
  return out;
}

/** The project path on GitLab or owner/repo on Gitea: from the config, else the id's owner/repo. */
export function hostProjectOf(record: SourceRecord, config: HostSourceConfig): string {
  if (config.project) return config.project;
  const [, owner, repo] = record.id.split('/') as [string, string, string];
  return `${owner}/${repo}`;
}

/** Whether pull requests for this source go through the GitHub API. */
export function usesGitHub(record: SourceRecord): boolean {
  const config = parseSourceConfig(record.config);
  return config.discovered === true || config.github !== undefined;
}

/** owner/repo on GitHub for a GitHub-backed source. */
export function githubRepoOf(record: SourceRecord): { owner: string; repo: string } {
  const gh = parseSourceConfig(record.config).github ?? {};
  const [, owner, repo] = record.id.split('/') as [string, string, string];
  return { owner: gh.owner ?? owner, repo: gh.repo ?? repo };
}
