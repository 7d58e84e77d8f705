/** Isolation and security settings: environment (and the --sandbox flag) > defaults. */

import { envInt, type Fail } from '../env-int.ts';
import type { SandboxChoice } from '../sandbox/index.ts';
import { parseHostPatterns } from '../sandbox/network/host-patterns.ts';
import { type Cidr, parseAllowlist } from '../webhooks/address-filter.ts';

export interface SecurityConfig {
  /** STINT_SANDBOX / --sandbox: auto (bubblewrap where it works, else plain with a warning). */
  sandbox: SandboxChoice;
  /** STINT_BWRAP_PATH: a bwrap executable other than the one on PATH. */
  bwrapPath: string | undefined;
  /** STINT_SANDBOX_NETWORK=1: every session's commands may use the network (default: none may). */
  sandboxNetwork: boolean;
  /**
   * STINT_SANDBOX_ALLOW_HOSTS: host patterns (comma-separated: `registry.npmjs.org,*.pypi.org`) every
   * session's commands may reach through the allowlist proxy, besides their source's own.
   */
  sandboxAllowHosts: string[];
  /**
   * STINT_SANDBOX_ALLOW_PRIVATE: CIDR ranges the allowlist proxy may connect to although not public
   * (loopback, private, link-local are refused otherwise, whatever name resolves to them).
   */
  sandboxAllowPrivate: Cidr[];
  /** STINT_SANDBOX_READ_ONLY_PATHS: extra host paths (colon-separated) shown read-only to commands. */
  sandboxReadOnlyPaths: string[];
  /** STINT_SANDBOX_TMP_BYTES: size of each command's private /tmp. */
  sandboxTmpBytes: number;
  /** STINT_SANDBOX_ENV: names of server environment variables passed on to commands (comma-separated). */
  sandboxEnv: string[];
  /** STINT_SECRET_KEY_FILE: the server key file; default <data dir>/secret.key. */
  secretKeyFile: string | undefined;
  /** STINT_SECRET_KEY: the server key itself (base64 or hex); wins over the file. */
  secretKey: string | undefined;
  /** STINT_RATE_LIMIT_PER_KEY: requests per minute per API key; 0 = off. */
  rateLimitPerKey: number;
  /** STINT_RATE_LIMIT_PER_TENANT: requests per minute per tenant (all its keys); 0 = off. */
  rateLimitPerTenant: number;
  /** STINT_MAX_WORKING_SESSIONS_PER_TENANT: sessions in PLANNING/IN_PROGRESS per tenant; 0 = unlimited. */
  maxWorkingSessionsPerTenant: number;
  /** STINT_MAX_WORKSPACE_BYTES: disk one session's checkout may use; 0 = unlimited. */
  maxWorkspaceBytes: number;
  /** STINT_DISK_RECHECK_MS: the longest a checkout goes unmeasured while it changes (src/security/disk-meter.ts). */
  diskRecheckMs: number;
  /** STINT_AUDIT=0 turns the audit log of state-changing API calls off. */
  audit: boolean;
}

const GiB = 1024 ** 3;

const list = (raw: string | undefined, sep: RegExp) =>
  (raw ?? '')
    .split(sep)
    .map((s) => s.trim())
    .filter(Boolean);

export function buildSecurityConfig(
  flags: { sandbox?: string | undefined },
  env: NodeJS.ProcessEnv = process.env,
  fail: Fail = (message) => new Error(message),
): SecurityConfig {
  const sandbox = flags.sandbox ?? env.STINT_SANDBOX ?? 'auto';
  if (sandbox !== 'auto' && sandbox !== 'bubblewrap' && sandbox !== 'plain') {
    throw fail(`--sandbox must be auto, bubblewrap or plain; got '${sandbox}'.`);
  }
  const readOnly = list(env.STINT_SANDBOX_READ_ONLY_PATHS, /:/);
  for (const p of readOnly) {
    if (!p.startsWith('/')) throw fail(`STINT_SANDBOX_READ_ONLY_PATHS: '${p}' is not absolute.`);
  }
  const passEnv = list(env.STINT_SANDBOX_ENV, /,/);
  for (const n of passEnv) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(n)) throw fail(`STINT_SANDBOX_ENV: '${n}' is not a variable name.`);
  }
  const allowHosts = list(env.STINT_SANDBOX_ALLOW_HOSTS, /,/);
  let allowPrivate: Cidr[];
  try {
    parseHostPatterns(allowHosts, 'STINT_SANDBOX_ALLOW_HOSTS');
    allowPrivate = parseAllowlist(env.STINT_SANDBOX_ALLOW_PRIVATE);
  } catch (e) {
    const msg = (e as Error).message;
    throw fail(msg.startsWith('STINT_') ? msg : `STINT_SANDBOX_ALLOW_PRIVATE: ${msg}`);
  }
  return {
    sandbox,
    bwrapPath: env.STINT_BWRAP_PATH || undefined,
    sandboxNetwork: /^(1|true|yes|on)$/i.test(env.STINT_SANDBOX_NETWORK ?? ''),
    sandboxAllowHosts: allowHosts,
    sandboxAllowPrivate: allowPrivate,
    sandboxReadOnlyPaths: readOnly,
    sandboxTmpBytes: envInt(
      fail,
      'STINT_SANDBOX_TMP_BYTES',
      env.STINT_SANDBOX_TMP_BYTES,
      512 * 1024 ** 2,
      0,
      1024 * GiB,
    ),
    sandboxEnv: passEnv,
    secretKeyFile: env.STINT_SECRET_KEY_FILE || undefined,
    secretKey: env.STINT_SECRET_KEY || undefined,
    rateLimitPerKey: envInt(fail, 'STINT_RATE_LIMIT_PER_KEY', env.STINT_RATE_LIMIT_PER_KEY, 0, 0, 10_000_000),
    rateLimitPerTenant: envInt(
      fail,
      'STINT_RATE_LIMIT_PER_TENANT',
      env.STINT_RATE_LIMIT_PER_TENANT,
      0,
      0,
      10_000_000,
    ),
    maxWorkingSessionsPerTenant: envInt(
      fail,
      'STINT_MAX_WORKING_SESSIONS_PER_TENANT',
      env.STINT_MAX_WORKING_SESSIONS_PER_TENANT,
      100,
      0,
      1_000_000,
    ),
    maxWorkspaceBytes: envInt(
      fail,
      'STINT_MAX_WORKSPACE_BYTES',
      env.STINT_MAX_WORKSPACE_BYTES,
      10 * GiB,
      0,
      2 ** 52,
    ),
    diskRecheckMs: envInt(fail, 'STINT_DISK_RECHECK_MS', env.STINT_DISK_RECHECK_MS, 30_000, 0, 86_400_000),
    audit: !/^(0|false|no|off)$/i.test(env.STINT_AUDIT ?? ''),
  };
}
