/** The composition root: store, agent, sandbox, services, worker and HTTP API wired from config. */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type Logger, pino } from 'pino';
import type { Agent } from './agents/agent.ts';
import { parseScript } from './agents/scripted/script.ts';
import { ScriptedAgent } from './agents/scripted/scripted-agent.ts';
import { buildApi } from './api/app.ts';
import { Authenticator, generateApiKey, registerApiKey } from './api/auth.ts';
import { PageTokens } from './api/paging.ts';
import { ConfigError, type StintConfig } from './config.ts';
import { InProcessQueue } from './queue/in-process/in-process-queue.ts';
import { Worker } from './runner/worker.ts';
import { createSandbox } from './sandbox/index.ts';
import { SessionEvents } from './services/events.ts';
import { SessionService } from './services/session-service.ts';
import { SourceService } from './services/source-service.ts';
import { openStore } from './store/index.ts';
import type { Store } from './store/store.ts';

export interface Stint {
  config: Readonly<StintConfig>;
  store: Store;
  app: FastifyInstance;
  worker: Worker | undefined;
  log: Logger;
  /** A newly generated admin key, on the very first start only. */
  firstAdminKey: string | undefined;
  listen(): Promise<string>;
  close(): Promise<void>;
}

function loadAgent(config: StintConfig): Agent {
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

export async function createStint(config: Readonly<StintConfig>): Promise<Stint> {
  const log = pino({ level: config.logLevel, base: { pid: process.pid } }, pino.destination(2));
  const agent = loadAgent(config);
  const store = await openStore({
    dataDir: config.dataDir,
    ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}),
  });
  const events = new SessionEvents();
  const sandbox = createSandbox('plain');
  const sources = new SourceService(store);
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
  const app = buildApi(
    {
      sessions,
      sources,
      auth: new Authenticator(store),
      tokens: new PageTokens(secret),
      publicUrl: () => config.publicUrl ?? origin,
    },
    {
      logger: log,
      bodyLimit: config.bodyLimitBytes,
      extend: (a) => {
        a.get('/healthz', async () => ({ status: 'ok' }));
      },
    },
  );

  const worker = config.worker
    ? new Worker(
        {
          store,
          agent,
          sandbox,
          events,
          log,
          config: {
            workspacesDir: join(config.dataDir, 'workspaces'),
            commandTimeoutMs: config.commandTimeoutMs,
            maxOutputBytes: config.maxOutputBytes,
            bashOutputArtifacts: config.bashOutputArtifacts,
          },
        },
        new InProcessQueue(store, events),
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
    async listen() {
      await app.listen({ host: config.host, port: config.port });
      const addr = app.server.address();
      const port = typeof addr === 'object' && addr ? addr.port : config.port;
      const host = config.host.includes(':') ? `[${config.host}]` : config.host;
      origin = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${port}`;
      await worker?.start();
      return origin;
    },
    async close() {
      await app.close();
      await worker?.stop();
      await store.close();
    },
  };
}
