/** sources: list (with a name filter) and get. */
import type { FastifyInstance } from 'fastify';
import { invalidArgument } from '../domain/errors.ts';
import { parseSourceName } from '../domain/names.ts';
import type { ApiContext } from './context.ts';
import { parseFilter } from './filter.ts';
import { parsePageSize, splitPage } from './paging.ts';
import { sourceResource } from './resources.ts';

export function sourceRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Querystring: Record<string, string> }>('/v1alpha/sources', async (req) => {
    const limit = parsePageSize(req.query.pageSize, 30);
    const names: string[] = [];
    for (const c of parseFilter(req.query.filter)) {
      if (c.field !== 'name' || c.op !== '=') {
        throw invalidArgument(`filter: only 'name = sources/...' is supported; got '${c.field} ${c.op}'.`);
      }
      names.push(c.value);
    }
    if (names.length > 0) {
      const ids = names.map(parseSourceName);
      const views = [];
      for (const id of new Set(ids)) {
        if (id === undefined) continue;
        try {
          views.push(await ctx.sources.get(req.principal.tenantId, id));
        } catch {
          // a filter that matches nothing is an empty list, not an error
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
    async (req) => {
      const { provider, owner, repo } = req.params;
      return sourceResource(await ctx.sources.get(req.principal.tenantId, `${provider}/${owner}/${repo}`));
    },
  );
}
