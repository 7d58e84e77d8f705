/**
 * GET /v1alpha/sessions:stream: the caller's tenant's sessions, each exactly as GET returns it,
 * whenever one changes, oldest change first. `id:` is the change's cursor (the session's
 * updateTime); `Last-Event-ID` resumes after it. Each scan re-reads a short window before the
 * cursor, because a change can become visible after a later-stamped one (concurrent writers):
 * a session is sent again only if it changed, so a dashboard sees every session's latest state.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { invalidArgument } from '../domain/errors.ts';
import { ChangeSignal } from '../services/wake-signal.ts';
import type { ApiContext } from './context.ts';
import { sessionResource } from './resources.ts';
import { answersMedia, docsOnly, lastEventIdHeader } from './route-docs.ts';
import { SseStream } from './sse.ts';
import { lastEventId, type StreamOptions } from './stream-options.ts';

const PAGE = 100;
/** How far before the cursor each scan looks again (microseconds). */
const LAG_US = 2_000_000;

export function sessionStreamRoute(app: FastifyInstance, ctx: ApiContext, opts: StreamOptions): void {
  const docs = {
    schema: {
      operationId: 'sessions.stream',
      tags: ['streams'],
      summary: "Stream the tenant's session changes (server-sent events)",
      description:
        "Each event's data is a Session as GET returns it, sent when it changes; `id:` is a cursor for Last-Event-ID. Comment lines are heartbeats.",
      response: answersMedia('text/event-stream', 'An endless event stream.'),
    },
    config: docsOnly({ headers: Type.Object(lastEventIdHeader) }),
  };
  app.get<{ Querystring: Record<string, string> }>('/v1alpha/sessions::stream', docs, async (req, reply) => {
    const tenantId = req.principal.tenantId;
    const resume = lastEventId(req.headers, req.query);
    let cursor = 0;
    if (resume !== undefined) {
      if (!/^\d{1,17}$/.test(resume)) {
        throw invalidArgument(`Last-Event-ID '${resume}' is not a cursor of this stream.`);
      }
      cursor = Number(resume);
    }
    const sse = new SseStream(req, reply, { heartbeatMs: opts.heartbeatMs });
    opts.open.add(sse);
    const changes = new ChangeSignal(opts.events, (c) => c.session.tenantId === tenantId);
    /** updateTime last sent per session, for sessions inside the look-back window. */
    const sent = new Map<string, number>();
    // Changes at or before the client's resume point were delivered before; look-back stops there.
    const floor = cursor;
    let first = true;
    try {
      while (!sse.closed) {
        // On resume, trust the client's cursor; afterwards look back to catch late commits.
        let after: { time: number; id?: string } = { time: first ? cursor : Math.max(0, cursor - LAG_US) };
        first = false;
        for (;;) {
          const page = await opts.feed.changedAfter(tenantId, after, PAGE);
          for (const s of page) {
            if (s.updateTime <= floor || sent.get(s.id) === s.updateTime) continue;
            await sse.send({
              id: String(Math.max(cursor, s.updateTime)),
              data: JSON.stringify(sessionResource(s, ctx.publicUrl())),
            });
            if (sse.closed) return;
            sent.set(s.id, s.updateTime);
            cursor = Math.max(cursor, s.updateTime);
          }
          const last = page[page.length - 1];
          if (page.length < PAGE || !last) break;
          after = { time: last.updateTime, id: last.id };
        }
        for (const [id, t] of sent) if (t < cursor - LAG_US) sent.delete(id);
        await changes.wait(opts.pollMs, sse.signal);
      }
    } catch (e) {
      req.log.warn({ err: e }, 'session stream failed');
    } finally {
      changes.close();
      opts.open.delete(sse);
      sse.close();
    }
  });
}
