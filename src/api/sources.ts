/** sources: list (with a name filter) and get. */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { invalidArgument, StintError } from '../domain/errors.ts';
import { isValidSourceId, parseSourceName } from '../domain/names.ts';
import type { ApiContext } from './context.ts';
import { fieldKey, parseFilterExpr, toDnf } from './filter.ts';
import { parsePageSize, splitPage } from './paging.ts';
import { ListSourcesResponse, ref, SourceResource } from './resource-schemas.ts';
import { sourceResource } from './resources.ts';
import { answers, docsOnly, pageParams, pathParams } from './route-docs.ts';

/**
 * The sources filter: `name` (or `id`) compared with `=`, combined with OR, AND and parentheses, as
 * in the Jules documentation's `name=sources/a OR name=sources/b`. Returns the source ids it can
 * match, sorted (undefined: no filter, list everything).
 */
export function sourceFilterNames(text: unknown): string[] | undefined {
  const expr = parseFilterExpr(text);
  if (expr === undefined) return undefined;
  const ids = new Set<string>();
  for (const conj of toDnf(expr)) {
    let only: string | undefined;
    let none = false;
    for (const c of conj) {
      const key = fieldKey(c.field);
      if (key !== 'name' && key !== 'id')
        throw invalidArgument(`filter: unknown field '${c.field}' for sources; only name is supported.`);
      if (c.op !== '=') throw invalidArgument(`filter: ${c.field} supports only =; got '${c.op}'.`);
      const id = key === 'name' ? parseSourceName(c.value) : isValidSourceId(c.value) ? c.value : undefined;
      if (id === undefined || (only !== undefined && only !== id)) none = true;
      only = id;
    }
    if (conj.length === 0) return undefined;
    if (!none && only !== undefined) ids.add(only);
  }
  return [...ids].sort();
}

export async function sourcesApi(app: FastifyInstance, { ctx }: { ctx: ApiContext }): Promise<void> {
  const listDocs = {
    schema: {
      operationId: 'sources.list',
      tags: ['sources'],
      summary: 'List sources',
      response: answers(ref(ListSourcesResponse)),
    },
    config: docsOnly({
      querystring: Type.Object({
        ...pageParams,
        filter: Type.Optional(Type.String({ description: 'e.g. name=sources/github/acme/widgets' })),
      }),
    }),
  };
  app.get<{ Querystring: Record<string, string> }>('/v1alpha/sources', listDocs, async (req) => {
    const limit = parsePageSize(req.query.pageSize, 30);
    const names = sourceFilterNames(req.query.filter);
    if (names !== undefined) {
      const views = [];
      for (const id of names) {
        try {
          views.push(await ctx.sources.get(req.principal.tenantId, id));
        } catch (e) {
          // a filter that matches nothing is an empty list, not an error
          if (!(e instanceof StintError && e.status === 'NOT_FOUND')) throw e;
        }
      }
      return { sources: views.map(sourceResource) };
    }
    const scope = `sources|${req.principal.tenantId}`;
    const afterId = ctx.tokens.decode<string>(scope, req.query.pageToken);
    const rows = await ctx.sources.list(req.principal.tenantId, {
      limit: limit + 1,
      ...(afterId !== undefined ? { afterId } : {}),
    });
    const { items, more } = splitPage(rows, limit);
    const res: Record<string, unknown> = { sources: items.map(sourceResource) };
    const last = items[items.length - 1];
    if (more && last) res.nextPageToken = ctx.tokens.encode(scope, last.record.id);
    return res;
  });

  app.get<{ Params: { provider: string; owner: string; repo: string } }>(
    '/v1alpha/sources/:provider/:owner/:repo',
    {
      schema: {
        operationId: 'sources.get',
        tags: ['sources'],
        summary: 'Get a source',
        response: answers(ref(SourceResource)),
      },
      config: docsOnly({
        params: pathParams({ provider: 'The provider.', owner: 'The owner.', repo: 'The repo.' }),
      }),
    },
    async (req) => {
      const { provider, owner, repo } = req.params;
      return sourceResource(await ctx.sources.get(req.principal.tenantId, `${provider}/${owner}/${repo}`));
    },
  );
}
