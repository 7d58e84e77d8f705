/**
 * Unknown fields in request bodies, answered as Google's JSON parser answers them: 400
 * INVALID_ARGUMENT `Invalid JSON payload received. Unknown name "bogus" at 'sourceContext': Cannot
 * find field.` A misspelt field is an error, never silently ignored. Like proto3 JSON, a field may
 * also be written with its proto name (`require_plan_approval`); it is read as the camelCase one.
 * Checked against the same JSON schema that validates the body and documents it in OpenAPI, so
 * Stint's own additions are accepted wherever they are declared.
 */
import type { FastifyRequest } from 'fastify';
import { invalidArgument } from '../domain/errors.ts';

interface ObjectSchema {
  properties?: Record<string, unknown>;
}

const camel = (name: string) => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Returns the body with proto-named fields renamed to their JSON names; throws INVALID_ARGUMENT
 * on a field the schema does not declare. Values of the wrong type are left to the schema.
 */
export function checkBodyFields(body: unknown, schema: ObjectSchema, at = ''): unknown {
  if (!isPlainObject(body) || schema.properties === undefined) return body;
  const props = schema.properties;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    const name = Object.hasOwn(props, key) ? key : Object.hasOwn(props, camel(key)) ? camel(key) : undefined;
    if (name === undefined) {
      throw invalidArgument(
        `Invalid JSON payload received. Unknown name ${JSON.stringify(key)}${at ? ` at '${at}'` : ''}: Cannot find field.`,
        { reason: 'UNKNOWN_FIELD', metadata: { field: at ? `${at}.${key}` : key } },
      );
    }
    if (Object.hasOwn(out, name)) {
      throw invalidArgument(
        `Invalid JSON payload received. Field ${JSON.stringify(name)}${at ? ` at '${at}'` : ''} is given twice.`,
        { reason: 'INVALID_JSON', metadata: { field: at ? `${at}.${name}` : name } },
      );
    }
    const sub = props[name] as ObjectSchema;
    out[name] = checkBodyFields(value, sub, at ? `${at}.${name}` : name);
  }
  return out;
}

/** A route's preValidation hook: unknown fields are refused before the schema validates types. */
export function strictBody(schema: ObjectSchema) {
  return async (req: FastifyRequest): Promise<void> => {
    req.body = checkBodyFields(req.body, schema);
  };
}
