/** sessions/{id}/activities: oldest first, resumable with a create_time filter. */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { invalidArgument } from '../domain/errors.ts';
import { type Micros, parseTimestamp } from '../domain/time.ts';
import type { ApiContext } from './context.ts';
import { fieldKey, parseFilterExpr, toDnf } from './filter.ts';
import { parsePageSize, splitPage } from './paging.ts';
import { ActivityResource, ListActivitiesResponse, ref } from './resource-schemas.ts';
import { activityResource } from './resources.ts';
import { answers, docsOnly, pageParams, pathParams } from './route-docs.ts';

function timeArg(value: string, where: string): Micros {
  const t = parseTimestamp(value);
  if (t === undefined) throw invalidArgument(`${where}: '${value}' is not an RFC 3339 timestamp.`);
  return t;
}

/**
 * `filter=create_time > "TS"` (or >=; AND, OR and parentheses allowed), or `createTime=TS`: only
 * activities after TS. An AND of bounds keeps the latest; an OR of branches the earliest.
 */
function afterTime(query: Record<string, string>): Micros | undefined {
  let after: Micros | undefined;
  const expr = parseFilterExpr(query.filter);
  if (expr !== undefined) {
    let loosest: Micros | undefined = Number.NEGATIVE_INFINITY;
    for (const conj of toDnf(expr)) {
      let bound: Micros | undefined;
      for (const c of conj) {
        if (fieldKey(c.field) !== 'createTime') {
          throw invalidArgument(
            `filter: unknown field '${c.field}' for activities; only create_time is supported.`,
          );
        }
        const t = timeArg(c.value, 'filter');
        if (c.op === '>') bound = Math.max(bound ?? t, t);
        else if (c.op === '>=') bound = Math.max(bound ?? t - 1, t - 1);
        else throw invalidArgument(`filter: create_time supports only > and >=; got '${c.op}'.`);
      }
      if (bound === undefined) loosest = undefined;
      else if (loosest !== undefined)
        loosest = loosest === Number.NEGATIVE_INFINITY ? bound : Math.min(loosest, bound);
    }
    after = loosest === Number.NEGATIVE_INFINITY ? undefined : loosest;
  }
  if (query.createTime !== undefined && query.createTime !== '') {
    const t = timeArg(String(query.createTime), 'createTime');
    after = Math.max(after ?? t, t);
  }
  return after;
}

export async function activitiesApi(app: FastifyInstance, { ctx }: { ctx: ApiContext }): Promise<void> {
  app.get<{ Params: { id: string }; Querystring: Record<string, string> }>(
    '/v1alpha/sessions/:id/activities',
    {
      schema: {
        operationId: 'activities.list',
        tags: ['activities'],
        summary: 'List activities, oldest first',
        response: answers(ref(ListActivitiesResponse)),
      },
      config: docsOnly({
        params: pathParams({ id: 'The session id.' }),
        querystring: Type.Object({
          ...pageParams,
          filter: Type.Optional(Type.String({ description: 'create_time>"RFC 3339 time"' })),
        }),
      }),
    },
    async (req) => {
      const limit = parsePageSize(req.query.pageSize, 50);
      const time = afterTime(req.query);
      const scope = `activities|${req.params.id}|${time ?? ''}`;
      const afterSeq = ctx.tokens.decode<number>(scope, req.query.pageToken);
      if (afterSeq !== undefined && (!Number.isInteger(afterSeq) || afterSeq < 0)) {
        throw invalidArgument('pageToken is not valid for this request; start again without it.');
      }
      const rows = await ctx.sessions.listActivities(req.principal, req.params.id, {
        limit: limit + 1,
        ...(afterSeq !== undefined ? { afterSeq } : {}),
        ...(time !== undefined ? { afterTime: time } : {}),
      });
      const { items, more } = splitPage(rows, limit);
      const res: Record<string, unknown> = { activities: items.map(activityResource) };
      const last = items[items.length - 1];
      if (more && last) res.nextPageToken = ctx.tokens.encode(scope, last.seq);
      return res;
    },
  );

  app.get<{ Params: { id: string; aid: string } }>(
    '/v1alpha/sessions/:id/activities/:aid',
    {
      schema: {
        operationId: 'activities.get',
        tags: ['activities'],
        summary: 'Get an activity',
        response: answers(ref(ActivityResource)),
      },
      config: docsOnly({ params: pathParams({ id: 'The session id.', aid: 'The activity id.' }) }),
    },
    async (req) =>
      activityResource(await ctx.sessions.getActivity(req.principal, req.params.id, req.params.aid)),
  );
}
