/** sessions: create, list, get and delete; the custom methods are in session-methods.ts. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Micros } from '../domain/time.ts';
import type { ApiContext } from './context.ts';
import { parsePageSize, splitPage } from './paging.ts';
import { EmptyResource, ListSessionsResponse, ref, SessionResource } from './resource-schemas.ts';
import { sessionResource } from './resources.ts';
import { answers, docsOnly, idempotencyHeaders, pageParams, pathParams } from './route-docs.ts';
import { CreateSessionBody } from './schemas.ts';
import { listBranches, sessionFilterBranches } from './session-filter.ts';
import { sessionMethodRoutes } from './session-methods.ts';
import { strictBody } from './strict-body.ts';

type Cursor = { t: Micros; id: string };

const sessionId = pathParams({ id: 'The session id.' });

export async function sessionsApi(root: FastifyInstance, { ctx }: { ctx: ApiContext }): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const wire = (s: Parameters<typeof sessionResource>[0]) => sessionResource(s, ctx.publicUrl());

  app.post(
    '/v1alpha/sessions',
    {
      schema: {
        operationId: 'sessions.create',
        tags: ['sessions'],
        summary: 'Create a session',
        description:
          'A retry with the same Idempotency-Key returns the same session instead of creating another.',
        body: CreateSessionBody,
        response: answers(ref(SessionResource)),
      },
      config: docsOnly({ headers: idempotencyHeaders }),
      preValidation: strictBody(CreateSessionBody),
    },
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

  app.get<{ Querystring: Record<string, string> }>(
    '/v1alpha/sessions',
    {
      schema: {
        operationId: 'sessions.list',
        tags: ['sessions'],
        summary: 'List sessions, newest first',
        response: answers(ref(ListSessionsResponse)),
      },
      config: docsOnly({
        querystring: Type.Object({
          ...pageParams,
          filter: Type.Optional(
            Type.String({ description: 'archived = true, state = X, source = "sources/..." (AND)' }),
          ),
        }),
      }),
    },
    async (req) => {
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
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1alpha/sessions/:id',
    {
      schema: {
        operationId: 'sessions.get',
        tags: ['sessions'],
        summary: 'Get a session',
        response: answers(ref(SessionResource)),
      },
      config: docsOnly({ params: sessionId }),
    },
    async (req) => wire(await ctx.sessions.get(req.principal, req.params.id)),
  );

  app.delete<{ Params: { id: string } }>(
    '/v1alpha/sessions/:id',
    {
      schema: {
        operationId: 'sessions.delete',
        tags: ['sessions'],
        summary: 'Delete a session (stops its work)',
        response: answers(ref(EmptyResource)),
      },
      config: docsOnly({ params: sessionId }),
    },
    async (req) => {
      await ctx.sessions.delete(req.principal, req.params.id);
      return {};
    },
  );

  sessionMethodRoutes(root, ctx, wire);
}
