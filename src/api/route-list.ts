/** Records every route the app serves (method + Fastify URL), so the OpenAPI document can be checked against it. */
import type { FastifyInstance } from 'fastify';

export interface ServedRoute {
  method: string;
  url: string;
  /** The JSON schema the route validates its body with, if any. */
  bodySchema?: unknown;
}

const lists = new WeakMap<FastifyInstance, ServedRoute[]>();

/** Call before any route is registered. */
export function recordRoutes(app: FastifyInstance): void {
  const list: ServedRoute[] = [];
  lists.set(app, list);
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) {
      if (method === 'HEAD') continue;
      const body = (r.schema as { body?: unknown } | undefined)?.body;
      list.push({ method, url: r.url, ...(body === undefined ? {} : { bodySchema: body }) });
    }
  });
}

export function servedRoutes(app: FastifyInstance): readonly ServedRoute[] {
  return lists.get(app) ?? [];
}
