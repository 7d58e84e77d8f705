/** The composition root: store, agent, sandbox, services, worker and HTTP API wired from config. */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type Logger, pino } from 'pino';
import type { Agent } from './agents/agent.ts';
import { CliAgent } from './agents/cli/cli-agent.ts';
import { parseScript } from './agents/scripted/script.ts';
import { ScriptedAgent } from './agents/scripted/scripted-agent.ts';
import { buildApi } from './api/app.ts';
import { Authenticator, generateApiKey, registerApiKey } from './api/auth.ts';
import type { ApiContext } from './api/context.ts';
import { createExtensions } from './api/extensions.ts';
import { healthApi } from './api/openapi.ts';
import { PageTokens } from './api/paging.ts';
import { registerReviewWebhooks } from './api/review-webhooks.ts';
import { ConfigError, type StintConfig } from './config.ts';
import { InProcessQueue } from './queue/in-process/in-process-queue.ts';
import { type PostgresCoordination, startPostgresCoordination } from './queue/postgres/index.ts';
import type { RunnerDeps } from './runner/runner-deps.ts';
import { Worker } from './runner/worker.ts';
import { logScrubber } from './security/redactor.ts';
import { setupSecurity } from './security/setup.ts';
import { SessionEvents } from './services/events.ts';
import { SessionService } from './services/session-service.ts';
import { SourceService } from './services/source-service.ts';
import { SetupCache } from './setup/setup-cache.ts';
import { createRepoServices, type RepoServices } from './sources/repo-services.ts';
import { openStore } from './store/index.ts';
import { lockDataDir } from './store/sqlite/data-dir-lock.ts';
import type { Store } from './store/store.ts';
import { registerWeb } from './web/index.ts';

export interface Stint {
  config: Readonly<StintConfig>;
  store: Store;
  app: FastifyInstance;
  worker: Worker | undefined;
  log: Logger;
  /** A newly generated admin key, on the very first start only. */
  firstAdminKey: string | undefined;
  /** To tell the operator at start (e.g. agent commands are not isolated). */
  warnings: string[];
  listen(): Promise<string>;
  close(): Promise<void>;
}

/** The configured agent. The LLM agent's modules (the AI SDK and its providers) are loaded only for it. */
export async function loadAgent(config: StintConfig, log?: Logger): Promise<Agent> {
  if (config.agent === 'llm' && config.model) {
    const { LlmAgent } = await import('./agents/llm/llm-agent.ts');
    return new LlmAgent({ config: config.model, budgets: config.budgets, ...(log ? { log } : {}) });
  }
  if (config.agent === 'cli' && config.cliAgent) return new CliAgent(config.cliAgent);
  if (config.agentScript) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(config.agentScript, 'utf8'));
    } catch (e) {
      throw new ConfigError(`--agent-script ${config.agentScript}: ${(e as Error).message}`);
    }
    try {
      return new ScriptedAgent(parseScript(json, `--agent-script ${config.agentScript}`));
    } catch (e) {
      throw new ConfigError((e as Error).message);
    }
  }
  return new ScriptedAgent();
}

/**
 * With the embedded store the data directory belongs to this process alone (a second server on it
 * refuses to start, naming the holder's pid); PostgreSQL deployments share the store by design.
 */
export async function createStint(config: Readonly<StintConfig>): Promise<Stint> {
  const lock = config.databaseUrl ? undefined : lockDataDir(config.dataDir);
  try {
    const stint = await assemble(config);
    if (!lock) return stint;
    if (lock.previousPid !== undefined) {
      stint.log.info(
        { previousPid: lock.previousPid },
        'took over the data directory lock of an exited process',
      );
    }
    const close = stint.close;
    stint.close = async () => {
      try {
        await close();
      } finally {
        lock.release();
      }
    };
    return stint;
  } catch (e) {
    lock?.release();
    throw e;
  }
}

async function assemble(config: Readonly<StintConfig>): Promise<Stint> {
  const log = pino(
    { level: config.logLevel, base: { pid: process.pid }, hooks: { streamWrite: logScrubber.scrub } },
    pino.destination(2),
  );
  const agent = await loadAgent(config, log);
  const store = await openStore({
    dataDir: config.dataDir,
    ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}),
    onBackgroundError: (err, what) => log.warn({ err }, what),
  });
  const events = new SessionEvents();
  const security = await setupSecurity({
    dataDir: config.dataDir,
    security: config.security,
    store,
    log,
  }).catch(async (e) => {
    await store.close();
    throw e;
  });
  const sandbox = security.sandbox;
  for (const warning of security.warnings) log.warn(warning);
  // Sources (registered, and listed from GitHub), their providers, mirrors and session workspaces.
  const repos = createRepoServices({
    store,
    config: config.repos,
    workspacesDir: join(config.dataDir, 'workspaces'),
    publicUrl: () => config.publicUrl ?? origin,
    log,
  });
  const sources = new SourceService(store, undefined, repos.directory);
  const sessions = new SessionService(store, sources, agent, events, {
    maxPromptBytes: config.maxPromptBytes,
  });

  let firstAdminKey: string | undefined;
  const envKey = process.env.STINT_API_KEY;
  const initialized = await store.getMeta('initialized');
  if (envKey) await registerApiKey(store, envKey, { name: 'STINT_API_KEY', role: 'admin' });
  if (!initialized) {
    if (!envKey) {
      firstAdminKey = generateApiKey();
      await registerApiKey(store, firstAdminKey, { name: 'first admin key', role: 'admin' });
    }
    await store.ensureMeta('initialized', new Date().toISOString());
  }
  const secret = await store.ensureMeta('page_token_secret', randomBytes(32).toString('base64url'));

  let origin = '';
  const ctx: ApiContext = {
    sessions,
    sources,
    auth: new Authenticator(store),
    tokens: new PageTokens(secret),
    publicUrl: () => config.publicUrl ?? origin,
  };
  // Live streams, webhooks (and their dispatcher), Idempotency-Key, OpenAPI, /docs and /metrics.
  const extensions = createExtensions({
    config: config.extensions,
    store,
    events,
    log,
    publicUrl: ctx.publicUrl,
  });
  const app = buildApi(ctx, {
    logger: log,
    bodyLimit: config.bodyLimitBytes,
    beforeRoutes: (a) => extensions.register(a, ctx),
    admit: (who) => security.limiter.checkFast(who),
    extend: (a) => {
      a.register(healthApi);
      security.register(a, ctx.auth);
      registerWeb(a, { sessions, sources, events, auth: ctx.auth, store, publicUrl: ctx.publicUrl });
      registerReviewWebhooks(a, {
        store,
        sessions,
        config: config.repos.reviews,
        branchPrefix: config.repos.branchPrefix,
        log,
      });
    },
  });

  // Sharing a PostgreSQL store with other processes: lease queue with NOTIFY wake-ups, cross-process events.
  let worker: Worker | undefined;
  let coordination: PostgresCoordination | undefined;
  if (store.capabilities.multiProcess) {
    coordination = await startPostgresCoordination({
      url: config.databaseUrl!,
      store,
      events,
      log,
      leaseMs: config.leaseMs,
      backoff: config.retry,
      forwardChanges: true,
      isDriving: (id) => worker?.isDriving(id) ?? false,
    });
  }
  const deps = config.worker
    ? runnerDeps(config, { store, agent, sandbox, events, log, security: security.sessionSecurity, repos })
    : undefined;
  worker = deps
    ? new Worker(
        deps,
        coordination?.queue ?? new InProcessQueue(store, events, config.leaseMs, config.retry),
        { concurrency: config.concurrency },
      )
    : undefined;

  return {
    config,
    store,
    app,
    worker,
    log,
    firstAdminKey,
    warnings: security.warnings,
    async listen() {
      await app.listen({ host: config.host, port: config.port });
      const addr = app.server.address();
      const port = typeof addr === 'object' && addr ? addr.port : config.port;
      const host = config.host.includes(':') ? `[${config.host}]` : config.host;
      origin = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${port}`;
      await worker?.start();
      extensions.start();
      return origin;
    },
    async close() {
      await app.close();
      await extensions.stop();
      await worker?.stop();
      await deps?.setup?.cache?.close();
      await coordination?.close();
      await store.close();
    },
  };
}

/** What a worker needs, from config (shared by `stint serve` and `stint worker`). */
export function runnerDeps(
  config: Readonly<StintConfig>,
  parts: Omit<RunnerDeps, 'config' | 'repos'> & { repos?: RepoServices },
): RunnerDeps {
  const repos =
    parts.repos ??
    createRepoServices({
      store: parts.store,
      config: config.repos,
      workspacesDir: join(config.dataDir, 'workspaces'),
      // A worker serves no pages itself: session links point at STINT_PUBLIC_URL (or the default serve address).
      publicUrl: () => config.publicUrl ?? `http://${config.host}:${config.port || 8080}`,
      log: parts.log,
    });
  const { cache } = config.setup;
  return {
    ...parts,
    repos,
    setup: {
      settings: config.setup,
      ...(cache.enabled
        ? {
            cache: new SetupCache({
              // Beside the checkouts (a restore renames into one); each worker's data dir has its own.
              root: join(repos.workspaces.dir, '.setup-cache'),
              maxBytes: cache.maxBytes,
              entriesPerSource: cache.entriesPerSource,
              spares: cache.spares,
              onError: (err) => parts.log.warn({ err }, 'setup cache background work failed'),
            }),
          }
        : {}),
    },
    config: {
      workspacesDir: join(config.dataDir, 'workspaces'),
      commandTimeoutMs: config.commandTimeoutMs,
      maxOutputBytes: config.maxOutputBytes,
      bashOutputArtifacts: config.bashOutputArtifacts,
      maxAttempts: config.maxAttempts,
    },
  };
}
