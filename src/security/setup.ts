/**
 * Builds the security pieces from config, for `stint serve` and `stint worker`: the sandbox
 * (bubblewrap where it works), the secrets service under the server key, the per-session guard the
 * runner applies, and the API's rate limiter and audit log.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Authenticator } from '../api/auth.ts';
import { ConfigError } from '../config.ts';
import type { Activity } from '../domain/activity.ts';
import { StintError } from '../domain/errors.ts';
import { parseSourceName } from '../domain/names.ts';
import type { Session } from '../domain/session.ts';
import { type Sandbox, SandboxUnavailableError, selectSandbox } from '../sandbox/index.ts';
import type { NetworkAllowlist } from '../sandbox/sandbox.ts';
import { sourceSetupOf } from '../sources/setup-config.ts';
import { parseSourceConfig, type SourceConfig } from '../sources/source-config.ts';
import type { SourceRecord, Store } from '../store/store.ts';
import { adminApi } from './admin-api.ts';
import { AuditLog } from './audit-log.ts';
import { rememberReported, remembersSession } from './firewall-report.ts';
import { RateLimiter } from './rate-limiter.ts';
import { logScrubber } from './redactor.ts';
import { SecretsService } from './secrets.ts';
import type { SecurityConfig } from './security-config.ts';
import { loadServerKey, ServerKeyError } from './server-key.ts';
import { SessionGuard, type SessionSecurity } from './session-guard.ts';

export interface SecuritySetup {
  sandbox: Sandbox;
  /** Said loudly at start (e.g. commands are not isolated). */
  warnings: string[];
  secrets: SecretsService;
  sessionSecurity: SessionSecurity;
  limiter: RateLimiter;
  audit: AuditLog | undefined;
  /**
   * Adds the audit log and the admin API to the API; `auth` is told when the admin API revokes a
   * key. The rate limit runs in the API's authentication hook (`limiter.checkFast` as buildApi's
   * `admit`).
   */
  register(app: FastifyInstance, auth?: Pick<Authenticator, 'forgetKeys'>): void;
}

export interface SecuritySetupOptions {
  dataDir: string;
  security: SecurityConfig;
  store: Store;
  log: Logger;
}

/** The secrets service for a data dir (server and CLI share the key file). */
export function openSecrets(
  store: Store,
  dataDir: string,
  security: Pick<SecurityConfig, 'secretKey' | 'secretKeyFile'>,
) {
  const key = loadServerKey({ dataDir, keyFile: security.secretKeyFile, keyText: security.secretKey });
  return SecretsService.open(store, key.key).then((secrets) => ({ secrets, key }));
}

/**
 * What a session's commands may reach: the host's network (STINT_SANDBOX_NETWORK, or the source's
 * `--allow-network`), else the hosts on the server's and the source's allowlists through the
 * allowlist proxy, else nothing.
 */
export function sessionNetwork(
  security: Pick<SecurityConfig, 'sandboxNetwork' | 'sandboxAllowHosts'>,
  source: SourceConfig,
): boolean | NetworkAllowlist {
  const whole = security.sandboxNetwork || source.network === true;
  return setupNetwork(whole, [...security.sandboxAllowHosts, ...(source.allowHosts ?? [])]);
}

/**
 * `session`'s network widened by `setupHosts` through the allowlist proxy (the whole network stays
 * the whole network). Setup's network is the session's plus the hosts the source lets only setup
 * reach (`--setup-allow-host`, e.g. the registry `npm ci` installs from), so that the agent's
 * commands can stay offline; the session's own rule is this over "none" or "all".
 */
export function setupNetwork(
  session: boolean | NetworkAllowlist,
  setupHosts: readonly string[],
): boolean | NetworkAllowlist {
  if (session === true) return true;
  const allow = [...new Set([...(session === false ? [] : session.allow), ...setupHosts])];
  return allow.length > 0 ? { allow } : false;
}

/** Reads the hosts a session already reported back from its activities, unless this process knows. */
async function recallFirewallReport(store: Store, sessionId: string): Promise<void> {
  if (remembersSession(sessionId)) return;
  const seen: Activity[] = [];
  let afterSeq = 0;
  for (;;) {
    const page = await store.listActivities(sessionId, { afterSeq, limit: 500 });
    seen.push(...page.filter((a) => a.originator === 'system' && a.content.kind === 'progressUpdated'));
    if (page.length < 500) break;
    afterSeq = page.at(-1)!.seq;
  }
  rememberReported(sessionId, seen);
}

export async function setupSecurity(opts: SecuritySetupOptions): Promise<SecuritySetup> {
  try {
    return await build(opts);
  } catch (e) {
    // Operator-fixable problems are configuration errors: a one-line message, no stack trace.
    if (e instanceof SandboxUnavailableError || e instanceof ServerKeyError || e instanceof StintError) {
      throw new ConfigError(e.message);
    }
    throw e;
  }
}

async function build(opts: SecuritySetupOptions): Promise<SecuritySetup> {
  const { security, store, log } = opts;
  const warnings: string[] = [];
  const network = { allowPrivate: security.sandboxAllowPrivate };
  const selected = await selectSandbox(security.sandbox, {
    ...(security.bwrapPath ? { bwrapPath: security.bwrapPath } : {}),
    bubblewrap: {
      extraReadOnlyPaths: security.sandboxReadOnlyPaths,
      tmpBytes: security.sandboxTmpBytes,
      maxFileBytes: security.maxWorkspaceBytes,
      network,
    },
    plain: { network },
  });
  if (selected.warning) warnings.push(selected.warning);
  if (security.sandboxNetwork && selected.sandbox.kind === 'bubblewrap') {
    warnings.push("Sandbox: STINT_SANDBOX_NETWORK=1, so every session's commands may use the network.");
  }
  if (security.sandboxAllowHosts.length > 0 && selected.sandbox.kind !== 'bubblewrap') {
    warnings.push(
      'Sandbox: STINT_SANDBOX_ALLOW_HOSTS is set, but without bubblewrap the network allowlist is NOT enforced: commands get the proxy variables, and anything that ignores them reaches the whole network.',
    );
  }
  const { secrets, key } = await openSecrets(store, opts.dataDir, security);
  if (key.created)
    log.info({ file: key.source }, 'generated the server key that encrypts secrets; back it up');
  await store.security.setDefaultMaxWorkingSessions(security.maxWorkingSessionsPerTenant);

  const sessionSecurity: SessionSecurity = {
    async forSession(session: Session, workdir: string): Promise<SessionGuard> {
      const sourceId = session.sourceContext ? parseSourceName(session.sourceContext.source) : undefined;
      const source = sourceId ? await store.getSource(session.tenantId, sourceId) : undefined;
      const env: Record<string, string> = {};
      for (const name of security.sandboxEnv) {
        const v = process.env[name];
        if (v !== undefined) env[name] = v;
      }
      const all = await secrets.forSession(session.tenantId, sourceId);
      // sourceContext.environmentVariablesEnabled: false keeps the secrets out of the commands.
      const values = session.sourceContext?.environmentVariablesEnabled === false ? {} : all;
      // Setup sees the secrets its source names for it, and no other.
      const setupValues = source ? setupSecrets(source, all) : {};
      logScrubber.add([...Object.values(values), ...Object.values(setupValues)]);
      // The agent's commands: all, none, or the allowlist proxy; setup may reach more (setupNetwork).
      const network = sessionNetwork(security, source ? parseSourceConfig(source.config) : {});
      if (typeof network === 'object') await recallFirewallReport(store, session.id);
      return new SessionGuard({
        workdir,
        env: { ...env, ...values },
        secrets: Object.values(values),
        network,
        maxWorkspaceBytes: security.maxWorkspaceBytes,
        diskRecheckMs: security.diskRecheckMs,
        sessionId: session.id,
        setup: {
          env: { ...env, ...setupValues },
          secrets: Object.values(setupValues),
          network: setupNetwork(network, source ? (sourceSetupOf(source).allowHosts ?? []) : []),
        },
      });
    },
  };

  const limiter = new RateLimiter(store.security, {
    perKey: security.rateLimitPerKey,
    perTenant: security.rateLimitPerTenant,
  });
  const audit = security.audit ? new AuditLog(store.security, log) : undefined;

  return {
    sandbox: selected.sandbox,
    warnings,
    secrets,
    sessionSecurity,
    limiter,
    audit,
    register(app, auth) {
      audit?.register(app);
      app.register(adminApi, { store, secrets, limiter, ...(auth ? { auth } : {}) });
    },
  };
}

/** The secrets named in the source's setup settings (names without a secret are skipped). */
function setupSecrets(source: SourceRecord, all: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  let names: string[] = [];
  try {
    names = sourceSetupOf(source).secrets ?? [];
  } catch {
    // Invalid settings fail the session's setup with a reason (src/runner/session-setup.ts).
  }
  for (const name of names) if (all[name] !== undefined) out[name] = all[name];
  return out;
}
