/**
 * Pieces of route schemas shared by the resources. A route declares what it validates in
 * `schema` (body) and what it answers in `schema.response` (documentation: the API's serializer is
 * JSON.stringify, see app.ts); path, query and header parameters, and the bodies of custom methods
 * (checked by the handler, after the Idempotency-Key, as they always were), are documented in the
 * route's `config.docs` and merged into the OpenAPI document only (openapi.ts): Fastify does not
 * validate them, so a query like `?pageSize=1&pageSize=2` is still answered by the handler's own check.
 */
import { type TSchema, Type } from 'typebox';
import { ErrorResource } from './resource-schemas.ts';

export interface RouteDocs {
  params?: TSchema;
  querystring?: TSchema;
  headers?: TSchema;
  body?: TSchema;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Parameters documented in the OpenAPI document but not validated by Fastify. */
    docs?: RouteDocs;
  }
}

/** Route `config` with parts documented but not validated by Fastify. */
export const docsOnly = (docs: RouteDocs) => ({ docs });

/** The route's `config.docs`, if any. */
export function routeDocs(config: unknown): RouteDocs | undefined {
  return (config as { docs?: RouteDocs } | undefined)?.docs;
}

/** Required path parameters, each with its description. */
export function pathParams(described: Record<string, string>) {
  return Type.Object(
    Object.fromEntries(Object.entries(described).map(([name, d]) => [name, Type.String({ description: d })])),
  );
}

export const pageParams = {
  pageSize: Type.Optional(Type.Integer({ description: '1-100; 0 or unset: the default.' })),
  pageToken: Type.Optional(Type.String({ description: 'nextPageToken of the previous page.' })),
};

export const lastEventIdHeader = {
  'Last-Event-ID': Type.Optional(
    Type.String({
      description:
        'Resume exactly after this event id (EventSource sends it when reconnecting); also as ?lastEventId=.',
    }),
  ),
};

export const idempotencyHeaders = Type.Object({
  'Idempotency-Key': Type.Optional(
    Type.String({
      description:
        'Up to 255 printable ASCII characters, scoped to your tenant for 24 h: a retry with the same key and body returns the first response (Idempotent-Replayed: true); while the first is still running, a duplicate waits for it or gets 409 ABORTED.',
    }),
  ),
});

const errorResponse = {
  description:
    'Error: {"error":{"code","message","status","details"}} with a Google status name and a google.rpc.ErrorInfo in details.',
  $ref: `${ErrorResource.$id}#`,
};

/** Response schemas: `schema` on 200 (a shared schema's `$ref`, or inline), the Error body otherwise. */
export function answers(schema: TSchema, description = 'OK'): Record<string, unknown> {
  return { 200: { description, ...schema }, default: errorResponse };
}

/** A 200 answer of another media type (event streams, Prometheus text, HTML). */
export function answersMedia(contentType: string, description: string): Record<string, unknown> {
  return {
    200: { description, content: { [contentType]: { schema: { type: 'string' } } } },
    default: errorResponse,
  };
}

/** GET /metrics (metrics.ts): needs an admin key unless STINT_METRICS=public. */
export const metricsRouteDocs = {
  schema: {
    operationId: 'metrics',
    tags: ['operations'],
    summary: 'Prometheus metrics',
    description: 'Needs an admin key unless STINT_METRICS=public.',
    response: answersMedia('text/plain', 'The Prometheus text format.'),
  },
};
