/** One error handler: every failure becomes a Google-style error body with the right status. */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  ERROR_DOMAIN,
  ERROR_STATUSES,
  type ErrorReason,
  type ErrorStatus,
  StintError,
} from '../domain/errors.ts';
import { isTransientStoreError } from '../store/transient.ts';
import { BodyTooLarge, drainCap, drainUnreadBody, PAYLOAD_TOO_LARGE } from './body-limit.ts';

/** google.rpc.ErrorInfo, the one entry of `details`: clients switch on `reason`. */
export interface ErrorInfo {
  '@type': 'type.googleapis.com/google.rpc.ErrorInfo';
  reason: ErrorReason;
  domain: typeof ERROR_DOMAIN;
  metadata?: Record<string, string>;
}

export interface ErrorBody {
  error: { code: number; message: string; status: ErrorStatus; details: ErrorInfo[] };
}

export function errorInfo(reason: ErrorReason, metadata?: Record<string, string>): ErrorInfo {
  const info: ErrorInfo = {
    '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
    reason,
    domain: ERROR_DOMAIN,
  };
  if (metadata && Object.keys(metadata).length > 0) info.metadata = metadata;
  return info;
}

export function errorBody(
  status: ErrorStatus,
  message: string,
  code?: number,
  info: ErrorInfo = errorInfo(status),
): ErrorBody {
  return { error: { code: code ?? ERROR_STATUSES[status], message, status, details: [info] } };
}

export function sendError(reply: FastifyReply, err: StintError): FastifyReply {
  if (err.retryAfter !== undefined) reply.header('retry-after', String(err.retryAfter));
  const code = err instanceof BodyTooLarge ? PAYLOAD_TOO_LARGE : err.httpStatus;
  return reply
    .code(code)
    .type('application/json; charset=utf-8')
    .send(errorBody(err.status, err.message, code, errorInfo(err.reason, err.metadata)));
}

interface AjvError {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** The field a JSON-schema failure is about, as a dotted path (`sourceContext.source`). */
function validationField(err: FastifyError): string | undefined {
  const first = (err.validation as AjvError[] | undefined)?.[0];
  if (!first) return undefined;
  const path = (first.instancePath ?? '').split('/').filter(Boolean);
  if (first.keyword === 'required') path.push(String(first.params?.missingProperty));
  const ctx = err.validationContext === 'body' ? [] : [err.validationContext ?? 'request'];
  return [...ctx, ...path].join('.') || undefined;
}

/** Turns a JSON-schema failure into a message naming the field, e.g. `session.prompt is required`. */
function validationMessage(err: FastifyError): string {
  const first = (err.validation as AjvError[] | undefined)?.[0];
  if (!first) return err.message;
  const ctx = err.validationContext === 'body' ? '' : `${err.validationContext ?? 'request'}.`;
  const path = (first.instancePath ?? '').split('/').filter(Boolean).join('.');
  const field = (name: string) => `${ctx}${name}`.replace(/^\./, '') || 'request body';
  switch (first.keyword) {
    case 'required':
      return `${field(path ? `${path}.${first.params?.missingProperty}` : String(first.params?.missingProperty))} is required.`;
    case 'enum':
      return `Invalid value at '${field(path)}': must be one of ${((first.params?.allowedValues as string[] | undefined) ?? []).join(', ')}.`;
    case 'type':
      return `Invalid value at '${field(path)}': must be ${first.params?.type === 'object' ? 'an object' : `a ${first.params?.type}`}.`;
    default:
      return `Invalid value at '${field(path)}': ${first.message ?? 'is invalid'}.`;
  }
}

export function toStintError(err: unknown, bodyLimit = 0): StintError {
  if (err instanceof StintError) return err;
  const e = err as FastifyError;
  if (e?.validation) {
    const field = validationField(e);
    return new StintError('INVALID_ARGUMENT', validationMessage(e), {
      reason: 'INVALID_FIELD',
      ...(field ? { metadata: { field } } : {}),
    });
  }
  switch (e?.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new StintError('INVALID_ARGUMENT', `Invalid JSON payload received: ${e.message}`, {
        reason: 'INVALID_JSON',
      });
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new BodyTooLarge(bodyLimit);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new StintError('INVALID_ARGUMENT', 'Content-Type must be application/json.', {
        reason: 'UNSUPPORTED_MEDIA_TYPE',
      });
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new StintError('INVALID_ARGUMENT', 'Content-Length does not match the body.');
  }
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    if (e.statusCode === 404) return new StintError('NOT_FOUND', e.message, { reason: 'ROUTE_NOT_FOUND' });
    return new StintError('INVALID_ARGUMENT', e.message);
  }
  if (isTransientStoreError(err)) {
    // Clients retry 503 with backoff: right for a database that is restarting or failing over.
    return new StintError('UNAVAILABLE', 'The store is temporarily unavailable; retry shortly.', {
      cause: err,
      retryAfter: 2,
    });
  }
  return new StintError('INTERNAL', 'Internal error.', { cause: err });
}

/** The answer to any failure: a Google-style error body; an unread request body is drained first. */
export function answerError(err: unknown, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const limit = req.routeOptions.bodyLimit;
  const se = toStintError(err, limit);
  if (se.status === 'INTERNAL' || se.status === 'UNAVAILABLE') req.log.error({ err }, se.message);
  // Answered before the body was read (too large, wrong type, no key…): the client is still writing.
  drainUnreadBody(req, reply, drainCap(limit));
  return sendError(reply, se);
}

export function isBodyTooLarge(err: unknown): boolean {
  return err instanceof BodyTooLarge || (err as FastifyError)?.code === 'FST_ERR_CTP_BODY_TOO_LARGE';
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler(answerError);
  app.setNotFoundHandler((req, reply) =>
    sendError(
      reply,
      new StintError('NOT_FOUND', `No route for ${req.method} ${req.url.split('?')[0]}.`, {
        reason: 'ROUTE_NOT_FOUND',
      }),
    ),
  );
}
