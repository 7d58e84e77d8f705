/** Records every route the app serves (method + Fastify URL), so the OpenAPI document can be checked against it. */
import type { FastifyInstance } from 'fastify';

export interface ServedRoute {
  method: string;
  url: string;
  /** The JSON schema the route validates its body with, if any. */
  bodySchema?: unknown;
  /** Left out of the OpenAPI document (`schema.hide`: the catch-alls answering unknown custom methods). */
  hidden?: boolean;
}

const lists = new WeakMap<FastifyInstance, ServedRoute[]>();

/** Call before any route is registered. */
export function recordRoutes(app: FastifyInstance): void {
  const list: ServedRoute[] = [];
  lists.set(app, list);
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) {
      if (method === 'HEAD') continue;
      const schema = r.schema as { body?: unknown; hide?: boolean } | undefined;
      list.push({
        method,
        url: r.url,
        ...(schema?.body === undefined ? {} : { bodySchema: schema.body }),
        ...(schema?.hide ? { hidden: true } : {}),
      });
    }
  });
}

export function servedRoutes(app: FastifyInstance): readonly ServedRoute[] {
  return lists.get(app) ?? [];
}
