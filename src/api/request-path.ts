/**
 * The path a request is routed by. The router ignores doubled slashes (`//v1alpha//sessions` reaches
 * the same handler as `/v1alpha/sessions`), so every hook that decides by path (auth, idempotency)
 * decides on the route matched, never on the raw URL.
 */
import type { FastifyRequest } from 'fastify';

type Req = Pick<FastifyRequest, 'url' | 'routeOptions'>;

/**
 * The request's path without the query, doubled slashes collapsed and a trailing one dropped (the
 * router ignores both): every spelling of one resource gives the same string.
 */
export function routedPath(req: Pick<FastifyRequest, 'url'>): string {
  const q = req.url.indexOf('?');
  const raw = q === -1 ? req.url : req.url.slice(0, q);
  const path = raw.replace(/\/{2,}/g, '/');
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

/** The route's pattern (`/v1alpha/sessions/:id`), or the routed path when no route matched. */
function routeOf(req: Req): string {
  return req.routeOptions.url ?? routedPath(req);
}

const under = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}/`);

/** The Jules API (`/v1alpha` and below): needs a key. */
export function isApiRoute(req: Req): boolean {
  return under(routeOf(req), '/v1alpha');
}

/** The admin API (`/v1alpha/admin/...`). */
export function isAdminRoute(req: Req): boolean {
  return under(routeOf(req), '/v1alpha/admin');
}
