// What a source's `config.setup` may say: the commands that prepare a checkout before the agent's
// first step, how long they may take, which secrets they see, and what of their output is cached.
// A repository's own `.stint/setup.sh` wins over the commands (src/setup/setup-plan.ts).
import { parseHostPatterns } from '../sandbox/network/host-patterns.ts';
import type { SourceRecord } from '../store/store.ts';

export interface SourceSetupConfig {
  /** Shell command lines run one after the other in the sandbox (`--setup`, repeatable). */
  commands?: string[];
  /** Time limit of the whole setup in ms (`--setup-timeout`); default: the server's STINT_SETUP_TIMEOUT. */
  timeoutMs?: number;
  /** Names of the tenant's or source's secrets setup sees (`--setup-secret`); no other secret reaches it. */
  secrets?: string[];
  /** Paths (relative to the checkout) whose content is cached; default: what setup created that git ignores. */
  cachePaths?: string[];
  /** Files (relative paths, `*` within a name) whose content keys the cache; default: the usual lockfiles. */
  cacheKeyFiles?: string[];
  /** false: setup always runs (`--no-setup-cache`). */
  cache?: boolean;
  /**
   * Hosts setup (not the agent's commands) may reach through the allowlist proxy, besides the
   * session's own (`--setup-allow-host`): e.g. the package registry `npm ci` needs.
   */
  allowHosts?: string[];
}

export const DEFAULT_CACHE_KEY_FILES: readonly string[] = [
  'package-lock.json',
  'pnpm-lock.yaml',
  'yarn.lock',
  'requirements*.txt',
  'poetry.lock',
  'uv.lock',
  'Cargo.lock',
  'go.sum',
  'Gemfile.lock',
];

const MAX_COMMANDS = 50;
const MAX_COMMAND_CHARS = 8192;
const MAX_PATHS = 100;
const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const MAX_TIMEOUT_MS = 24 * 3600_000;

/** A relative path inside the checkout: no `..`, no absolute path, not the git directory. */
export function isCheckoutRelativePath(p: string, globs = false): boolean {
  if (p === '' || p.length > 1000 || p.startsWith('/') || p.includes('\0') || p.includes('\\')) return false;
  const parts = p.replace(/\/+$/, '').split('/');
  if (parts[0] === '.git') return false;
  return parts.every((s) => s !== '' && s !== '.' && s !== '..' && (globs || !s.includes('*')));
}

/** Validates `config.setup` (from the CLI or the store); throws with a message naming the field. */
export function parseSetupConfig(raw: unknown): SourceSetupConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new Error('config.setup must be an object');
  const r = raw as Record<string, unknown>;
  const out: SourceSetupConfig = {};
  const strings = (field: string, max: number, check: (s: string) => boolean, what: string) => {
    const v = r[field];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.length > max)
      throw new Error(`config.setup.${field} must be a list of at most ${max}`);
    for (const s of v) {
      if (typeof s !== 'string' || !check(s))
        throw new Error(`config.setup.${field}: ${JSON.stringify(s)} is not ${what}`);
    }
    return [...(v as string[])];
  };
  const commands = strings(
    'commands',
    MAX_COMMANDS,
    (s) => s.trim() !== '' && s.length <= MAX_COMMAND_CHARS && !s.includes('\0'),
    `a command line (1 to ${MAX_COMMAND_CHARS} characters)`,
  );
  if (commands) out.commands = commands;
  const secrets = strings('secrets', MAX_PATHS, (s) => SECRET_NAME.test(s), 'an environment variable name');
  if (secrets) out.secrets = secrets;
  const cachePaths = strings(
    'cachePaths',
    MAX_PATHS,
    (s) => isCheckoutRelativePath(s),
    'a relative path in the checkout',
  );
  if (cachePaths) out.cachePaths = cachePaths.map((p) => p.replace(/\/+$/, ''));
  const keyFiles = strings(
    'cacheKeyFiles',
    MAX_PATHS,
    (s) => isCheckoutRelativePath(s, true),
    'a relative path in the checkout',
  );
  if (keyFiles) out.cacheKeyFiles = keyFiles;
  if (r.timeoutMs !== undefined) {
    const t = r.timeoutMs;
    if (typeof t !== 'number' || !Number.isInteger(t) || t < 1000 || t > MAX_TIMEOUT_MS)
      throw new Error('config.setup.timeoutMs must be between 1 s and 24 h');
    out.timeoutMs = t;
  }
  if (r.allowHosts !== undefined) {
    if (!Array.isArray(r.allowHosts) || r.allowHosts.length > MAX_PATHS)
      throw new Error(`config.setup.allowHosts must be a list of at most ${MAX_PATHS}`);
    if (r.allowHosts.some((h) => typeof h !== 'string'))
      throw new Error('config.setup.allowHosts must be a list of host patterns');
    const hosts = parseHostPatterns(r.allowHosts as string[], 'config.setup.allowHosts').map((p) => p.text);
    if (hosts.length > 0) out.allowHosts = hosts;
  }
  if (r.cache !== undefined) {
    if (typeof r.cache !== 'boolean') throw new Error('config.setup.cache must be true or false');
    if (!r.cache) out.cache = false;
  }
  return out;
}

/** The source's setup settings (throws, naming the field, when the stored config is not valid). */
export function sourceSetupOf(record: SourceRecord): SourceSetupConfig {
  const raw = record.config.setup;
  return raw === undefined ? {} : parseSetupConfig(raw);
}
