/** A session's page at its `url`, its patch download, and the actions its forms post. */
import type { FastifyInstance } from 'fastify';
import type { Activity } from '../../domain/activity.ts';
import { isStintError, notFound } from '../../domain/errors.ts';
import { sessionName } from '../../domain/names.ts';
import type { Principal } from '../../services/session-service.ts';
import { sessionPage } from '../views/session-page.ts';
import { renderRegions } from '../views/session-regions.ts';
import {
  field,
  redirect,
  sendHtml,
  setNotice,
  signedIn,
  signInRedirect,
  takeNotice,
  validPost,
  viewerOf,
  type WebContext,
} from '../web-context.ts';

/** The page shows at most this many activities (the newest); the API has them all. */
const MAX_SHOWN = 1000;
const BATCH = 200;

async function loadTimeline(ctx: WebContext, who: Principal, id: string) {
  let shown: Activity[] = [];
  let total = 0;
  let afterSeq = 0;
  let failureReason: string | undefined;
  for (;;) {
    const rows = await ctx.sessions.listActivities(who, id, { afterSeq, limit: BATCH });
    for (const a of rows) if (a.content.kind === 'sessionFailed') failureReason = a.content.reason;
    total += rows.length;
    shown = shown.concat(rows);
    if (shown.length > MAX_SHOWN) shown = shown.slice(shown.length - MAX_SHOWN);
    if (rows.length < BATCH) break;
    afterSeq = rows[rows.length - 1]!.seq;
  }
  return { activities: shown, omitted: total - shown.length, failureReason };
}

type Action = (who: Principal, id: string, body: unknown) => Promise<string | undefined>;

export function sessionRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.get<{ Params: { id: string } }>('/sessions/:id', async (req, reply) => {
    const session = await signedIn(ctx, req);
    if (!session) return signInRedirect(req, reply);
    const who = session.principal;
    // The session first, then its activities: the timeline is at least as new as the state shown.
    const s = await ctx.sessions.get(who, req.params.id);
    const timeline = await loadTimeline(ctx, who, s.id);
    const viewer = viewerOf(ctx, session);
    return sendHtml(
      reply,
      200,
      sessionPage({
        viewer,
        session: s,
        activities: timeline.activities,
        omitted: timeline.omitted,
        regions: renderRegions({ session: s, csrf: viewer.csrf, failureReason: timeline.failureReason }),
        apiName: sessionName(s.id),
        notice: takeNotice(ctx, req, reply),
      }),
    );
  });

  app.get<{ Params: { id: string } }>('/sessions/:id/patch', async (req, reply) => {
    const session = await signedIn(ctx, req);
    if (!session) return signInRedirect(req, reply);
    const s = await ctx.sessions.get(session.principal, req.params.id);
    const cs = s.outputs.flatMap((o) => ('changeSet' in o ? [o.changeSet] : []))[0];
    if (!cs) {
      setNotice(ctx, req, reply, { kind: 'error', text: 'This session has no changes to download yet.' });
      return redirect(reply, `/sessions/${s.id}`);
    }
    return reply
      .header('content-type', 'text/x-diff; charset=utf-8')
      .header('content-disposition', `attachment; filename="stint-${s.id}.patch"`)
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'no-store')
      .send(cs.gitPatch.unidiffPatch);
  });

  const actions: Record<string, Action> = {
    approve: async (who, id) => {
      await ctx.sessions.approvePlan(who, id);
      return 'Plan approved.';
    },
    message: async (who, id, body) => {
      await ctx.sessions.sendMessage(who, id, (field(body, 'prompt') ?? '').replace(/\r\n/g, '\n'));
      return undefined;
    },
    archive: async (who, id) => {
      await ctx.sessions.setArchived(who, id, true);
      return 'Session archived.';
    },
    unarchive: async (who, id) => {
      await ctx.sessions.setArchived(who, id, false);
      return 'Session restored from the archive.';
    },
    pause: async (who, id) => {
      await ctx.sessions.pause(who, id);
      return 'Session paused.';
    },
    resume: async (who, id) => {
      await ctx.sessions.resume(who, id);
      return 'Session resumed.';
    },
    cancel: async (who, id) => {
      await ctx.sessions.cancel(who, id);
      return 'Session cancelled.';
    },
    delete: async (who, id) => {
      await ctx.sessions.delete(who, id);
      return 'Session deleted.';
    },
  };

  app.post<{ Params: { id: string; action: string } }>('/sessions/:id/:action', async (req, reply) => {
    const session = await signedIn(ctx, req);
    if (!session) return signInRedirect(req, reply);
    const action = Object.hasOwn(actions, req.params.action) ? actions[req.params.action] : undefined;
    if (!action) throw notFound(`There is no action '${req.params.action}' on sessions.`);
    const id = req.params.id;
    const back = req.params.action === 'delete' ? '/sessions' : `/sessions/${id}`;
    if (!validPost(ctx, req, session)) {
      setNotice(ctx, req, reply, {
        kind: 'error',
        text: 'The form expired; nothing was changed. Try again.',
      });
      return redirect(reply, `/sessions/${id}`);
    }
    try {
      const done = await action(session.principal, id, req.body);
      if (done) setNotice(ctx, req, reply, { kind: 'info', text: done });
      return redirect(reply, back);
    } catch (e) {
      // Another tenant's or a deleted session is a 404 page, as in the API; a refused action is a notice.
      if (isStintError(e) && e.httpStatus < 500 && e.status !== 'NOT_FOUND') {
        setNotice(ctx, req, reply, { kind: 'error', text: e.message });
        return redirect(reply, `/sessions/${id}`);
      }
      throw e;
    }
  });
}
