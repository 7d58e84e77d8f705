/**
 * Live streams (server-sent events), read from the store so they work whichever process wrote:
 * - GET /v1alpha/sessions/{id}/activities:stream: every activity exactly as GET returns it, `id:` =
 *   the activity id. `Last-Event-ID` (header, or `lastEventId` query parameter) resumes exactly
 *   after that activity, across server restarts. Ends after a terminal activity (sessionCompleted,
 *   sessionFailed) that is the session's latest; reconnecting after it answers 204 (EventSource
 *   stops), unless a follow-up message has re-opened the session meanwhile.
 * - GET /v1alpha/sessions:stream: the caller's tenant's sessions, each as GET returns it, whenever
 *   one changes; `id:` is a cursor that `Last-Event-ID` resumes after (intermediate changes of a
 *   session may be folded into its latest state).
 * Comment heartbeats keep proxies from closing idle streams.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { isTerminalActivity } from '../domain/activity.ts';
import { invalidArgument, isStintError } from '../domain/errors.ts';
import { ChangeSignal } from '../services/wake-signal.ts';
import { ActivityFanout } from './activity-fanout.ts';
import type { ApiContext } from './context.ts';
import { answersMedia, docsOnly, lastEventIdHeader, pathParams } from './route-docs.ts';
import { sessionStreamRoute } from './session-stream.ts';
import { SseStream } from './sse.ts';
import { lastEventId, type StreamOptions } from './stream-options.ts';

const PAGE = 100;

export async function streamsApi(
  app: FastifyInstance,
  { ctx, opts }: { ctx: ApiContext; opts: StreamOptions },
): Promise<void> {
  const fanout = new ActivityFanout(ctx.sessions);
  app.addHook('preClose', (done) => {
    for (const s of opts.open) s.close();
    done();
  });

  app.get<{ Params: { id: string }; Querystring: Record<string, string> }>(
    '/v1alpha/sessions/:id/activities::stream',
    {
      schema: {
        operationId: 'activities.stream',
        tags: ['streams'],
        summary: "Stream a session's activities (server-sent events)",
        description:
          'Each event: `id:` the activity id, `data:` the Activity as GET returns it. Last-Event-ID resumes exactly after that activity, across restarts. The stream ends after a terminal activity (sessionCompleted, sessionFailed); reconnecting after it answers 204 unless the session was re-opened. Comment lines are heartbeats.',
        response: {
          ...answersMedia('text/event-stream', 'The event stream.'),
          204: {
            description: 'The stream had already ended (resumed after the terminal activity).',
            type: 'null',
          },
        },
      },
      config: docsOnly({
        params: pathParams({ id: 'The session id.' }),
        headers: Type.Object(lastEventIdHeader),
      }),
    },
    async (req, reply) => {
      const who = req.principal;
      const id = req.params.id;
      await ctx.sessions.get(who, id); // 404 for a missing or another tenant's session
      let afterSeq = 0;
      const resume = lastEventId(req.headers, req.query);
      if (resume !== undefined) {
        const at = await ctx.sessions.getActivity(who, id, resume).catch((e) => {
          if (isStintError(e) && e.status === 'NOT_FOUND') {
            throw invalidArgument(`Last-Event-ID '${resume}' is not an activity of sessions/${id}.`);
          }
          throw e;
        });
        afterSeq = at.seq;
        if (isTerminalActivity(at)) {
          const next = await ctx.sessions.listActivities(who, id, { afterSeq, limit: 1 });
          if (next.length === 0) return reply.code(204).send();
        }
      }
      const sse = new SseStream(req, reply, { heartbeatMs: opts.heartbeatMs });
      opts.open.add(sse);
      const changes = new ChangeSignal(opts.events, (c) => c.session.id === id);
      try {
        let endedOnTerminal = false;
        while (!sse.closed) {
          const page = await fanout.page(who, id, afterSeq, PAGE);
          for (const a of page) {
            await sse.send({ id: a.id, data: a.data });
            if (sse.closed) break;
            afterSeq = a.seq;
            endedOnTerminal = a.terminal;
          }
          if (page.length === PAGE) continue;
          // The terminal activity may have been the last of a full page: the empty page after it
          // still means it is the session's latest.
          if (endedOnTerminal) break;
          await changes.wait(opts.pollMs, sse.signal);
        }
      } catch (e) {
        // The session was deleted (NOT_FOUND), or the store failed: end the stream; clients reconnect.
        if (!(isStintError(e) && e.status === 'NOT_FOUND'))
          req.log.warn({ err: e }, 'activity stream failed');
      } finally {
        changes.close();
        opts.open.delete(sse);
        sse.close();
      }
    },
  );

  sessionStreamRoute(app, ctx, opts);
}
