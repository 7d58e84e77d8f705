/**
 * Where the client finds its server and key: `--server` > STINT_SERVER > the login config's default
 * server > http://127.0.0.1:8080; the key from STINT_API_KEY, else the key `stint login` saved for
 * that server in $XDG_CONFIG_HOME/stint/config.json (~/.config/stint/config.json), mode 0600.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { usageError } from './exit-codes.ts';

export const DEFAULT_SERVER = 'http://127.0.0.1:8080';

export interface ClientConfigFile {
  /** The server commands use when neither --server nor STINT_SERVER is given. */
  server?: string;
  /** API key per server origin. */
  keys?: Record<string, string>;
}

export interface Connection {
  origin: string;
  apiKey: string | undefined;
  /** Where the key came from, for messages (never the key itself). */
  keySource: 'STINT_API_KEY' | 'config' | undefined;
}

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME?.startsWith('/') ? env.XDG_CONFIG_HOME : join(homedir(), '.config');
  return join(base, 'stint', 'config.json');
}

export function readConfigFile(path: string, warn: (line: string) => void = () => {}): ClientConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw usageError(`cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    if ((statSync(path).mode & 0o077) !== 0)
      warn(`stint: warning: ${path} is readable by others; chmod 600 it.`);
  } catch {}
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw usageError(
      `${path} is not valid JSON (${(e as Error).message})`,
      'Fix it or run `stint login` again.',
    );
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw usageError(`${path} must hold a JSON object`);
  }
  const o = json as Record<string, unknown>;
  const out: ClientConfigFile = {};
  if (typeof o.server === 'string') out.server = o.server;
  if (typeof o.keys === 'object' && o.keys !== null) {
    out.keys = Object.fromEntries(Object.entries(o.keys).filter(([, v]) => typeof v === 'string')) as Record<
      string,
      string
    >;
  }
  return out;
}

/** Writes atomically with mode 0600 in a 0700 directory. */
export function writeConfigFile(path: string, config: ClientConfigFile): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/** `http://host:port` from what a user types: adds http:// when no scheme, drops a trailing /v1alpha. */
export function normalizeOrigin(raw: string): string {
  const text = raw.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw usageError(`--server must be a URL like http://127.0.0.1:8080; got '${raw}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw usageError(`--server must be an http:// or https:// URL; got '${raw}'`);
  }
  if (url.username || url.password || url.search || url.hash) {
    throw usageError(`--server must be an origin (scheme, host, port) without credentials or query`);
  }
  const path = url.pathname.replace(/\/+$/, '').replace(/\/v1alpha$/, '');
  return `${url.origin}${path}`;
}

export function resolveConnection(
  flags: { server?: string | undefined },
  env: NodeJS.ProcessEnv = process.env,
  warn?: (line: string) => void,
): Connection {
  const file = readConfigFile(configPath(env), warn);
  const origin = normalizeOrigin(flags.server || env.STINT_SERVER || file.server || DEFAULT_SERVER);
  if (env.STINT_API_KEY) return { origin, apiKey: env.STINT_API_KEY, keySource: 'STINT_API_KEY' };
  const saved = file.keys?.[origin];
  return { origin, apiKey: saved, keySource: saved ? 'config' : undefined };
}
