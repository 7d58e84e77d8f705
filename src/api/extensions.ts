/**
 * Stint's additions to the Jules API, registered before the core routes: route recording (for the
 * OpenAPI check), the OpenAPI generator, HTTP metrics and Idempotency-Key hooks on the root; live
 * streams, webhooks, /openapi.json with /docs, and /metrics, each an encapsulated plugin.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { SessionEvents } from '../services/events.ts';
import type { Store } from '../store/store.ts';
import { WebhookDispatcher } from '../webhooks/dispatcher.ts';
import { WebhookService } from '../webhooks/webhook-service.ts';
import type { ApiContext } from './context.ts';
import type { ExtensionsConfig } from './extensions-config.ts';
import { IDEMPOTENCY_DEFAULTS, registerIdempotency } from './idempotency.ts';
import { type MetricsAccess, StintMetrics } from './metrics.ts';
import { openApiDocs, registerOpenApi } from './openapi.ts';
import { recordRoutes } from './route-list.ts';
import type { SseStream } from './sse.ts';
import { streamsApi } from './stream.ts';
import { webhooksApi } from './webhooks.ts';

export interface ExtensionsOptions {
  store: Store;
  events: SessionEvents;
  webhooks: WebhookService;
  metrics: StintMetrics;
  metricsAccess: MetricsAccess;
  /** Open live streams (shared with metrics). */
  openStreams: Set<SseStream>;
  stream: { heartbeatMs: number; pollMs: number };
  idempotency: { ttlMs: number; lockMs: number; waitMs: number };
}

export function registerExtensions(app: FastifyInstance, ctx: ApiContext, ext: ExtensionsOptions): void {
  recordRoutes(app);
  registerOpenApi(app);
  ext.metrics.registerHttpHooks(app);
  registerIdempotency(app, { store: ext.store.idempotency, ...ext.idempotency });
  const opts = { events: ext.events, feed: ext.store.sessionFeed, open: ext.openStreams, ...ext.stream };
  app.register(streamsApi, { ctx, opts });
  app.register(webhooksApi, { ctx, webhooks: ext.webhooks });
  app.register(openApiDocs, { publicUrl: ctx.publicUrl });
  app.register(async (metrics) => ext.metrics.registerRoute(metrics, ext.metricsAccess, ctx.auth));
}

export interface ExtensionsDeps {
  config: ExtensionsConfig;
  store: Store;
  events: SessionEvents;
  log: Logger;
  /** Origin for session urls (in webhook payloads). */
  publicUrl: () => string;
}

/** What a serving process runs besides the core API: webhooks dispatcher, metrics, stream registry. */
export interface Extensions {
  metrics: StintMetrics;
  webhooks: WebhookService;
  dispatcher: WebhookDispatcher;
  /** Pass as buildApi's `beforeRoutes`. */
  register(app: FastifyInstance, ctx: ApiContext): void;
  /** Starts the webhook dispatcher. */
  start(): void;
  stop(): Promise<void>;
}

export function createExtensions(deps: ExtensionsDeps): Extensions {
  const { config, store, events, log } = deps;
  const openStreams = new Set<SseStream>();
  const metrics = new StintMetrics(store, () => openStreams.size);
  const unsubscribe = events.onChanged((c) => metrics.observeChange(c));
  const targets = { allowPrivate: config.webhookAllowPrivate };
  const dispatcher = new WebhookDispatcher(
    {
      store,
      events,
      log: log.child({ component: 'webhooks' }),
      baseUrl: deps.publicUrl,
      onAttempt: (outcome, result) => metrics.recordWebhookAttempt(outcome, result),
    },
    {
      retry: {
        baseMs: config.webhookRetryBaseMs,
        maxMs: config.webhookRetryMaxMs,
        windowMs: config.webhookRetryWindowMs,
      },
      timeoutMs: config.webhookTimeoutMs,
      targets,
    },
  );
  const webhooks = new WebhookService(store, () => dispatcher.wake(), targets);
  return {
    metrics,
    webhooks,
    dispatcher,
    register(app, ctx) {
      registerExtensions(app, ctx, {
        store,
        events,
        webhooks,
        metrics,
        metricsAccess: config.metrics,
        openStreams,
        stream: { heartbeatMs: config.sseHeartbeatMs, pollMs: config.streamPollMs },
        idempotency: { ...IDEMPOTENCY_DEFAULTS, ttlMs: config.idempotencyTtlMs },
      });
    },
    start() {
      dispatcher.start();
    },
    async stop() {
      unsubscribe();
      for (const s of openStreams) s.close();
      await dispatcher.stop();
    },
  };
}
