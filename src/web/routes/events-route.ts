/** GET /web/sessions/:id/events: the session page's live feed (server-sent events). */
import type { FastifyInstance } from 'fastify';
import { StintError } from '../../domain/errors.ts';
import { signedIn, type WebContext } from '../web-context.ts';

function parseRevs(raw: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (typeof raw !== 'string' || raw.length > 1000) return out;
  for (const part of raw.split(',')) {
    const m = /^([a-z]{1,20}):([A-Za-z0-9_-]{1,40})$/.exec(part);
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

function parseSeq(...candidates: unknown[]): number {
  let best = 0;
  for (const c of candidates) {
    const text = Array.isArray(c) ? c[0] : c;
    if (typeof text === 'string' && /^\d{1,12}$/.test(text)) best = Math.max(best, Number(text));
  }
  return best;
}

export function eventsRoute(app: FastifyInstance, ctx: WebContext): void {
  app.get<{ Params: { id: string }; Querystring: Record<string, unknown> }>(
    '/web/sessions/:id/events',
    async (req, reply) => {
      const session = await signedIn(ctx, req);
      if (!session) throw new StintError('UNAUTHENTICATED', 'Sign in to follow this session.');
      // Not found (or another tenant's) is answered before the stream starts.
      const s = await ctx.sessions.get(session.principal, req.params.id);
      if (ctx.streams.full) {
        throw new StintError('UNAVAILABLE', 'Too many live views are open; try again shortly.', {
          retryAfter: 5,
        });
      }
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-content-type-options': 'nosniff',
      });
      res.flushHeaders();
      try {
        await ctx.streams.run(res, {
          who: session.principal,
          sessionId: s.id,
          afterSeq: parseSeq(req.query.after, req.headers['last-event-id']),
          revs: parseRevs(req.query.revs),
          csrf: ctx.auth.cookies.csrfToken(session),
        });
      } catch (err) {
        req.log.error({ err }, 'live session stream failed');
        if (!res.writableEnded) res.end();
      }
    },
  );
}
