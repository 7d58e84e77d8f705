/**
 * Custom methods (`POST .../{id}:verb`, AIP-136): each verb is its own route
 * (`/v1alpha/sessions/:id(.+)::approvePlan`, find-my-way's `::` escape for the literal colon and a
 * regex parameter so the id ends at the last colon); one hidden catch-all route per collection
 * answers an unknown verb, or none, with the same 404s as before.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TSchema } from 'typebox';
import { invalidArgument, notFound } from '../domain/errors.ts';
import { toStintError } from './errors.ts';
import { checkBodyFields } from './strict-body.ts';

/** The route URL of `verb` on the items under `collection` (`/v1alpha/sessions`). */
export const methodUrl = (collection: string, verb: string, param = 'id') =>
  `${collection}/:${param}(.+)::${verb}`;

/** `id:verb` split at its last colon; none (or nothing before it) is no route at all. */
export function splitVerb(idVerb: string, collectionPath: string): { id: string; verb: string } {
  const at = idVerb.lastIndexOf(':');
  if (at <= 0)
    throw notFound(`No route for POST ${collectionPath}/${idVerb}.`, { reason: 'ROUTE_NOT_FOUND' });
  return { id: idVerb.slice(0, at), verb: idVerb.slice(at + 1) };
}

export function unknownMethod(collection: string, verb: string, expected: string) {
  return notFound(`Unknown method '${verb}' on ${collection}; expected ${expected}.`, {
    reason: 'METHOD_NOT_FOUND',
    metadata: { method: verb },
  });
}

/** The body of a custom method: `{}` when empty, else it must be a JSON object. */
export function objectBody(req: FastifyRequest): Record<string, unknown> {
  const raw = req.body ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw invalidArgument('Request body must be a JSON object.', { reason: 'INVALID_JSON' });
  return raw as Record<string, unknown>;
}

/** A custom method's body: `{}` when empty, a JSON object, only the method's fields, then its schema. */
export function methodBody(req: FastifyRequest, schema: TSchema): Record<string, unknown> {
  const body = checkBodyFields(objectBody(req), schema) as Record<string, unknown>;
  const valid = req.compileValidationSchema(schema, 'body');
  if (!valid(body)) throw toStintError({ validation: valid.errors, validationContext: 'body' });
  return body;
}

/** The hidden catch-all `POST {collection}/:idVerb`, for verbs no route serves. */
export function catchAllMethods(
  app: FastifyInstance,
  collection: string,
  answer: (req: FastifyRequest, idVerb: string) => never,
): void {
  app.post<{ Params: { idVerb: string } }>(`${collection}/:idVerb`, { schema: { hide: true } }, async (req) =>
    answer(req, req.params.idVerb),
  );
}
