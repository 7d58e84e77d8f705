/** sessions: create, list, get, delete and the custom methods (POST sessions/{id}:verb). */
import type { FastifyInstance } from 'fastify';
import { invalidArgument, notFound } from '../domain/errors.ts';
import type { AutomationMode } from '../domain/states.ts';
import type { Micros } from '../domain/time.ts';
import type { ApiContext } from './context.ts';
import { toStintError } from './errors.ts';
import { parsePageSize, splitPage } from './paging.ts';
import { sessionResource } from './resources.ts';
import { createSessionBody as createBody, emptyBody, sendMessageBody } from './schemas.ts';
import { listBranches, sessionFilterBranches } from './session-filter.ts';
import { checkBodyFields, strictBody } from './strict-body.ts';

interface CreateBody {
  prompt: string;
  title?: string;
  requirePlanApproval?: boolean;
  automationMode?: AutomationMode;
  sourceContext?: {
    source: string;
    githubRepoContext?: { startingBranch?: string };
    workingBranch?: string;
    environmentVariablesEnabled?: boolean;
  };
}

const VERBS = new Set(['approvePlan', 'sendMessage', 'archive', 'unarchive', 'pause', 'resume', 'cancel']);

type Cursor = { t: Micros; id: string };

export function sessionRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const wire = (s: Parameters<typeof sessionResource>[0]) => sessionResource(s, ctx.publicUrl());

  app.post<{ Body: CreateBody }>(
    '/v1alpha/sessions',
    { schema: { body: createBody }, preValidation: strictBody(createBody) },
    async (req) => {
      const b = req.body;
      const session = await ctx.sessions.create(req.principal, {
        prompt: b.prompt,
        ...(b.title !== undefined ? { title: b.title } : {}),
        ...(b.requirePlanApproval !== undefined ? { requirePlanApproval: b.requirePlanApproval } : {}),
        ...(b.automationMode !== undefined ? { automationMode: b.automationMode } : {}),
        ...(b.sourceContext ? { source: b.sourceContext.source } : {}),
        ...(b.sourceContext?.githubRepoContext?.startingBranch !== undefined
          ? { startingBranch: b.sourceContext.githubRepoContext.startingBranch }
          : {}),
        ...(b.sourceContext?.workingBranch !== undefined
          ? { workingBranch: b.sourceContext.workingBranch }
          : {}),
        ...(b.sourceContext?.environmentVariablesEnabled !== undefined
          ? { environmentVariablesEnabled: b.sourceContext.environmentVariablesEnabled }
          : {}),
      });
      return wire(session);
    },
  );

  app.get<{ Querystring: Record<string, string> }>('/v1alpha/sessions', async (req) => {
    const limit = parsePageSize(req.query.pageSize, 30);
    const branches = sessionFilterBranches(req.query.filter);
    const scope = `sessions|${req.principal.tenantId}|${JSON.stringify(branches)}`;
    const after = ctx.tokens.decode<Cursor>(scope, req.query.pageToken);
    // One keyset walk of the index per (archived, source) branch of the filter, merged newest first.
    const rows = await listBranches(
      (page) => ctx.sessions.list(req.principal, page),
      branches,
      after ? { createTime: after.t, id: after.id } : undefined,
      limit + 1,
    );
    const { items, more } = splitPage(rows, limit);
    const res: Record<string, unknown> = { sessions: items.map(wire) };
    const last = items[items.length - 1];
    if (more && last) res.nextPageToken = ctx.tokens.encode(scope, { t: last.createTime, id: last.id });
    return res;
  });

  app.get<{ Params: { id: string } }>('/v1alpha/sessions/:id', async (req) => {
    return wire(await ctx.sessions.get(req.principal, req.params.id));
  });

  app.delete<{ Params: { id: string } }>('/v1alpha/sessions/:id', async (req) => {
    await ctx.sessions.delete(req.principal, req.params.id);
    return {};
  });

  app.post<{ Params: { idVerb: string }; Body: Record<string, unknown> | undefined }>(
    '/v1alpha/sessions/:idVerb',
    async (req) => {
      const at = req.params.idVerb.lastIndexOf(':');
      if (at <= 0) throw notFound(`No route for POST /v1alpha/sessions/${req.params.idVerb}.`);
      const id = req.params.idVerb.slice(0, at);
      const verb = req.params.idVerb.slice(at + 1);
      const who = req.principal;
      const raw = req.body ?? {};
      if (typeof raw !== 'object' || Array.isArray(raw))
        throw invalidArgument('Request body must be a JSON object.');
      // Every method refuses fields it does not know; sendMessage takes `prompt`, the others nothing.
      const body = (
        VERBS.has(verb) ? checkBodyFields(raw, verb === 'sendMessage' ? sendMessageBody : emptyBody) : raw
      ) as Record<string, unknown>;
      switch (verb) {
        case 'approvePlan':
          await ctx.sessions.approvePlan(who, id);
          return {};
        case 'sendMessage': {
          // The same schema the OpenAPI document publishes (src/api/schemas.ts).
          const valid = req.compileValidationSchema(sendMessageBody, 'body');
          if (!valid(body)) throw toStintError({ validation: valid.errors, validationContext: 'body' });
          await ctx.sessions.sendMessage(who, id, body.prompt as string);
          return {};
        }
        case 'archive':
          return wire(await ctx.sessions.setArchived(who, id, true));
        case 'unarchive':
          return wire(await ctx.sessions.setArchived(who, id, false));
        case 'pause':
          return wire(await ctx.sessions.pause(who, id));
        case 'resume':
          return wire(await ctx.sessions.resume(who, id));
        case 'cancel':
          return wire(await ctx.sessions.cancel(who, id));
        default:
          throw notFound(
            `Unknown method '${verb}' on sessions; expected approvePlan, sendMessage, archive, unarchive, pause, resume or cancel.`,
          );
      }
    },
  );
}
