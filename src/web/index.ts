/**
 * The web UI, served by `stint serve` itself: server-rendered pages at /sessions (the list), /sessions/new
 * and /sessions/{id} (each session's `url`), sign-in with an API key, and a live feed per session page.
 * Everything goes through the same services and tenant rules as the API.
 */
import { randomBytes } from 'node:crypto';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticator } from '../api/auth.ts';
import { answerError, isBodyTooLarge, toStintError } from '../api/errors.ts';
import type { SessionEvents } from '../services/events.ts';
import type { SessionService } from '../services/session-service.ts';
import type { SourceService } from '../services/source-service.ts';
import type { Store } from '../store/store.ts';
import { assetRoutes } from './assets/index.ts';
import { SessionCookies } from './auth/session-cookie.ts';
import { WebAuth } from './auth/web-auth.ts';
import { type LiveStreamOptions, LiveStreams } from './live/session-stream.ts';
import { authRoutes } from './routes/auth-routes.ts';
import { eventsRoute } from './routes/events-route.ts';
import { listRoutes } from './routes/list-routes.ts';
import { sessionRoutes } from './routes/session-routes.ts';
import { errorPage } from './views/error-page.ts';
import { sendHtml, viewerOf, type WebContext } from './web-context.ts';

export interface WebDeps {
  sessions: SessionService;
  sources: SourceService;
  events: SessionEvents;
  /** Resolves API keys at sign-in. */
  auth: Authenticator;
  /** Reads keys (revocations), source records, and keeps the cookie-signing secret in meta. */
  store: Pick<Store, 'listApiKeys' | 'listSources' | 'ensureMeta'>;
  /** Origin used in session urls (https here makes cookies Secure). */
  publicUrl(): string;
  live?: Partial<LiveStreamOptions>;
}

const TITLES: Record<number, string> = {
  400: 'That did not work',
  401: 'Sign in needed',
  403: 'Not allowed',
  404: 'Not found',
  429: 'Too many requests',
  503: 'Unavailable',
};

export function registerWeb(app: FastifyInstance, deps: WebDeps): void {
  const streams = new LiveStreams(deps.sessions, deps.events, deps.live);
  // Open live feeds would hold the server open: end them before it closes.
  app.addHook('preClose', async () => streams.closeAll());

  app.register(async (web) => {
    const secret = await deps.store.ensureMeta('web_cookie_secret', randomBytes(32).toString('base64url'));
    await web.register(cookie);
    await web.register(formbody);
    const ctx: WebContext = {
      sessions: deps.sessions,
      sources: deps.sources,
      events: deps.events,
      keys: deps.auth,
      store: deps.store,
      auth: new WebAuth(new SessionCookies(secret), deps.store, deps.publicUrl),
      streams,
      publicUrl: deps.publicUrl,
    };

    web.setErrorHandler(async (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
      // Like the API: 413 with a JSON error body, read by the client while its body is drained.
      if (isBodyTooLarge(err)) return answerError(err, req, reply);
      const se = toStintError(err);
      if (se.status === 'INTERNAL') req.log.error({ err }, 'web page failed');
      if (req.url.startsWith('/web/')) {
        if (se.retryAfter !== undefined) reply.header('retry-after', String(se.retryAfter));
        return reply.code(se.httpStatus).type('text/plain; charset=utf-8').send(se.message);
      }
      const session = await ctx.auth.session(req).catch(() => undefined);
      const status = se.httpStatus;
      const message =
        status === 404
          ? 'There is nothing here, or it belongs to another tenant. Check the link, or sign in with another key.'
          : status >= 500
            ? 'Something went wrong on the server. Try again; if it keeps happening, check the server log.'
            : se.message;
      return sendHtml(
        reply,
        status,
        errorPage({
          status,
          title: TITLES[status] ?? 'Something went wrong',
          message,
          viewer: session ? viewerOf(ctx, session) : undefined,
        }),
      );
    });

    assetRoutes(web);
    authRoutes(web, ctx);
    listRoutes(web, ctx);
    sessionRoutes(web, ctx);
    eventsRoute(web, ctx);
  });
}
