/**
 * The HTTP API: a Fastify app with one encapsulated plugin per resource, one error handler and key
 * auth on /v1alpha. Hooks that must see every route (auth here; metrics, idempotency, rate limits
 * and the audit log from `beforeRoutes`/`extend`) are added to the root synchronously, before any
 * plugin loads, so every resource plugin inherits them.
 */
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { Logger } from 'pino';
import { invalidArgument } from '../domain/errors.ts';
import type { Principal } from '../services/session-service.ts';
import { activitiesApi } from './activities.ts';
import { checkBodySize } from './body-limit.ts';
import type { ApiContext } from './context.ts';
import { registerErrorHandling, sendError, toStintError } from './errors.ts';
import { isApiRoute } from './request-path.ts';
import { SHARED_SCHEMAS } from './resource-schemas.ts';
import { sessionsApi } from './sessions.ts';
import { sourcesApi } from './sources.ts';

export interface ApiOptions {
  logger: Logger;
  bodyLimit: number;
  /** Extra routes (health, web UI) registered by the server: as plugins, hooks on the root. */
  extend?: (app: FastifyInstance) => void;
  /** Hooks and plugins that must see every route (idempotency, metrics, the OpenAPI generator), then more resources. */
  beforeRoutes?: (app: FastifyInstance) => void;
  /**
   * Run on every authenticated API request right after its key is checked, in the same hook (the
   * rate limit): throws to refuse; a promise only when it must wait (e.g. a store read).
   */
  admit?: (who: Principal) => Promise<void> | undefined;
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
      done(
        invalidArgument(`Invalid JSON payload received: ${(e as Error).message}`, { reason: 'INVALID_JSON' }),
        undefined,
      );
    }
  });

  // Any other Content-Type, or none with a body: read within the body limit (an oversize body is a
  // 413, like every other), then refused as before; unknown routes still answer 404.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (req, _body, done) => {
    if (req.is404) return done(null, undefined);
    done(
      invalidArgument('Content-Type must be application/json.', { reason: 'UNSUPPORTED_MEDIA_TYPE' }),
      undefined,
    );
  });

  registerErrorHandling(app);
  // Response schemas document what routes answer (OpenAPI); answers are serialised as they always
  // were, with JSON.stringify, so a schema can never drop or reshape a field.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);

  // One hook, callback style, for the body limit, the key and the rate limit: no promise per request
  // when the key and its limits are cached and the body needs no counting.
  const admit = opts.admit;
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
        else {
          req.principal = who;
          pending = admit?.(who);
        }
      }
    } catch (e) {
      return done(e as Error);
    }
    if (pending) pending.then(() => done(), done);
    else done();
  });
  const setPrincipal = (req: FastifyRequest, p: Principal) => {
    req.principal = p;
    return admit?.(p);
  };
  const authenticate = async (req: FastifyRequest) => setPrincipal(req, await ctx.auth.authenticate(req));

  opts.beforeRoutes?.(app);
  app.register(sessionsApi, { ctx });
  app.register(activitiesApi, { ctx });
  app.register(sourcesApi, { ctx });
  opts.extend?.(app);
  return app;
}
