/** The sessions list (GET /sessions), the new-session form (GET /sessions/new) and creating (POST /sessions). */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isStintError } from '../../domain/errors.ts';
import { isValidSessionId, sourceName } from '../../domain/names.ts';
import { isSessionState } from '../../domain/states.ts';
import type { CreateSessionInput } from '../../services/session-service.ts';
import type { WebSession } from '../auth/session-cookie.ts';
import { searchSessions } from '../session-search.ts';
import { EMPTY_VALUES, type NewSessionValues, newSessionPage } from '../views/new-session-page.ts';
import { type ListFilter, sessionListPage } from '../views/session-list-page.ts';
import {
  field,
  redirect,
  sendHtml,
  signedIn,
  signInRedirect,
  takeNotice,
  validPost,
  viewerOf,
  type WebContext,
} from '../web-context.ts';

const PAGE_SIZE = 25;

function parseCursor(raw: unknown): { createTime: number; id: string } | undefined {
  if (typeof raw !== 'string') return undefined;
  const m = /^(\d{1,17})_([A-Za-z0-9_-]{1,64})$/.exec(raw);
  if (!m || !isValidSessionId(m[2]!)) return undefined;
  return { createTime: Number(m[1]), id: m[2]! };
}

function parseFilter(q: Record<string, unknown>): ListFilter {
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const state = str(q.state);
  const source = str(q.source);
  return {
    q: str(q.q).slice(0, 200),
    state: isSessionState(state) ? state : undefined,
    source: source.startsWith('sources/') ? source : undefined,
    archived: q.archived === '1' || q.archived === 'true' || q.archived === 'on',
  };
}

async function sourceNames(ctx: WebContext, tenantId: string): Promise<string[]> {
  const out: string[] = [];
  let afterId: string | undefined;
  for (let i = 0; i < 5; i++) {
    const rows = await ctx.store.listSources(tenantId, { limit: 100, ...(afterId ? { afterId } : {}) });
    out.push(...rows.map((r) => sourceName(r.id)));
    if (rows.length < 100) break;
    afterId = rows[rows.length - 1]!.id;
  }
  return out;
}

async function showNewForm(
  ctx: WebContext,
  req: FastifyRequest,
  reply: FastifyReply,
  session: WebSession,
  status: number,
  values: NewSessionValues,
  error?: string,
) {
  const views = await ctx.sources.list(session.principal.tenantId, { limit: 100 });
  const sources = views.map((v) => ({ name: v.name, branches: v.branches, defaultBranch: v.defaultBranch }));
  const notice = error ? { kind: 'error' as const, text: error } : takeNotice(ctx, req, reply);
  return sendHtml(reply, status, newSessionPage({ viewer: viewerOf(ctx, session), sources, values, notice }));
}

export function listRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.get<{ Querystring: Record<string, unknown> }>('/sessions', async (req, reply) => {
    const session = await signedIn(ctx, req);
    if (!session) return signInRedirect(req, reply);
    const filter = parseFilter(req.query);
    const after = parseCursor(req.query.cursor);
    const [found, sources] = await Promise.all([
      searchSessions(ctx.sessions, session.principal, {
        title: filter.q,
        state: filter.state,
        source: filter.source,
        archived: filter.archived,
        after,
        pageSize: PAGE_SIZE,
      }),
      sourceNames(ctx, session.principal.tenantId),
    ]);
    if (filter.source && !sources.includes(filter.source)) sources.push(filter.source);
    return sendHtml(
      reply,
      200,
      sessionListPage({
        viewer: viewerOf(ctx, session),
        notice: takeNotice(ctx, req, reply),
        filter,
        sources,
        sessions: found.sessions,
        next: found.next ? `${found.next.createTime}_${found.next.id}` : undefined,
        firstPage: after === undefined,
        searchCut: found.cut,
      }),
    );
  });

  app.get('/sessions/new', async (req, reply) => {
    const session = await signedIn(ctx, req);
    if (!session) return signInRedirect(req, reply);
    return showNewForm(ctx, req, reply, session, 200, EMPTY_VALUES);
  });

  app.post('/sessions', async (req, reply) => {
    const session = await signedIn(ctx, req);
    if (!session) return signInRedirect(req, reply);
    const values: NewSessionValues = {
      prompt: field(req.body, 'prompt') ?? '',
      title: (field(req.body, 'title') ?? '').trim(),
      source: field(req.body, 'source') ?? '',
      branch: (field(req.body, 'branch') ?? '').trim(),
      requirePlanApproval: field(req.body, 'requirePlanApproval') !== undefined,
      autoPr: field(req.body, 'autoPr') !== undefined,
    };
    if (!validPost(ctx, req, session)) {
      return showNewForm(ctx, req, reply, session, 403, values, 'The form expired; please submit it again.');
    }
    const input: CreateSessionInput = {
      prompt: values.prompt.replace(/\r\n/g, '\n'),
      requirePlanApproval: values.requirePlanApproval,
      automationMode: values.autoPr ? 'AUTO_CREATE_PR' : 'AUTOMATION_MODE_UNSPECIFIED',
      ...(values.title ? { title: values.title.slice(0, 1000) } : {}),
      ...(values.source ? { source: values.source } : {}),
      ...(values.source && values.branch ? { startingBranch: values.branch } : {}),
    };
    try {
      const created = await ctx.sessions.create(session.principal, input);
      return redirect(reply, `/sessions/${created.id}`);
    } catch (e) {
      if (isStintError(e) && e.httpStatus < 500) {
        return showNewForm(ctx, req, reply, session, e.httpStatus, values, e.message);
      }
      throw e;
    }
  });
}
