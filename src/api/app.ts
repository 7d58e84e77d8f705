/** The HTTP API: a Fastify app with one plugin per resource, one error handler and key auth on /v1alpha. */
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { Logger } from 'pino';
import { invalidArgument } from '../domain/errors.ts';
import type { Principal } from '../services/session-service.ts';
import { activityRoutes } from './activities.ts';
import { checkBodySize } from './body-limit.ts';
import type { ApiContext } from './context.ts';
import { registerErrorHandling, sendError, toStintError } from './errors.ts';
import { isApiRoute } from './request-path.ts';
import { sessionRoutes } from './sessions.ts';
import { sourceRoutes } from './sources.ts';

export interface ApiOptions {
  logger: Logger;
  bodyLimit: number;
  /** Extra routes (health, web UI) registered by the server. */
  extend?: (app: FastifyInstance) => void;
  /** Plugins that must see every route or wrap every handler (idempotency, metrics, streams, OpenAPI). */
  beforeRoutes?: (app: FastifyInstance) => void;
}

export function buildApi(ctx: ApiContext, opts: ApiOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: opts.logger as unknown as FastifyBaseLogger,
    bodyLimit: opts.bodyLimit,
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, maxParamLength: 500 },
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    // Errors raised before routing (a malformed URL) get the same Google-style body as all others.
    frameworkErrors: (err, _req, reply) => sendError(reply, toStintError(err, opts.bodyLimit)),
  });

  // Clients send Content-Type: application/json on every request, bodies or not: empty means {}.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = (body as string).trim();
    if (text === '') return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch (e) {
      done(invalidArgument(`Invalid JSON payload received: ${(e as Error).message}`), undefined);
    }
  });

  // Any other Content-Type, or none with a body: read within the body limit (an oversize body is a
  // 413, like every other), then refused as before; unknown routes still answer 404.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (req, _body, done) => {
    if (req.is404) return done(null, undefined);
    done(invalidArgument('Content-Type must be application/json.'), undefined);
  });

  registerErrorHandling(app);

  // Callback style: no promise per request when the key is cached and the body needs no counting.
  app.addHook('onRequest', (req, _reply, done) => {
    let pending: Promise<unknown> | undefined;
    try {
      // Any route, any method, before auth: an oversize body is 413 (body-limit.ts).
      const counting = checkBodySize(req, opts.bodyLimit);
      // By the route matched, not the raw URL: the router also matches `//v1alpha//sessions`.
      const api = isApiRoute(req);
      if (counting) pending = api ? counting.then(() => authenticate(req)) : counting;
      else if (api) {
        const who = ctx.auth.authenticateFast(req);
        if (who instanceof Promise) pending = who.then((p) => setPrincipal(req, p));
        else req.principal = who;
      }
    } catch (e) {
      return done(e as Error);
    }
    if (pending) pending.then(() => done(), done);
    else done();
  });
  const setPrincipal = (req: FastifyRequest, p: Principal) => {
    req.principal = p;
  };
  const authenticate = async (req: FastifyRequest) => setPrincipal(req, await ctx.auth.authenticate(req));

  opts.beforeRoutes?.(app);
  sessionRoutes(app, ctx);
  activityRoutes(app, ctx);
  sourceRoutes(app, ctx);
  opts.extend?.(app);
  return app;
}
