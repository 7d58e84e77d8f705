/**
 * The error catalogue. Every error Stint returns to a client is a StintError with a
 * Google-style status and a reason from ERROR_REASONS; the API maps it onto HTTP with one handler
 * and puts the reason in the body's `details` as a google.rpc.ErrorInfo.
 */
export const ERROR_STATUSES = {
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  OUT_OF_RANGE: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  ABORTED: 409,
  RESOURCE_EXHAUSTED: 429,
  CANCELLED: 499,
  INTERNAL: 500,
  UNAVAILABLE: 503,
} as const;

export type ErrorStatus = keyof typeof ERROR_STATUSES;

/**
 * Every reason a client can switch on (ErrorInfo.reason), with what it means. An error nothing more
 * specific is known about carries its status name as its reason.
 */
export const ERROR_REASON_TEXT = {
  INVALID_ARGUMENT: 'A request field, parameter or header is invalid; the message names it.',
  FAILED_PRECONDITION: 'The resource is not in a state that allows the call (e.g. approving no plan).',
  OUT_OF_RANGE: 'A value is outside its allowed range.',
  UNAUTHENTICATED: 'The API key is missing, unknown or revoked.',
  PERMISSION_DENIED: 'The key may not do this (e.g. an admin method with a member key).',
  NOT_FOUND: 'The resource does not exist for your tenant.',
  ALREADY_EXISTS: 'A resource with that id exists already.',
  ABORTED: 'A concurrent request conflicts (e.g. the same Idempotency-Key still running); retry.',
  RESOURCE_EXHAUSTED: 'A rate or concurrency limit was hit; retry after Retry-After seconds.',
  CANCELLED: 'The request was cancelled.',
  INTERNAL: 'A bug or unexpected failure on the server.',
  UNAVAILABLE: 'The server or its store is temporarily unavailable; retry after Retry-After seconds.',
  INVALID_JSON: 'The body is not valid JSON, or not a JSON object.',
  UNSUPPORTED_MEDIA_TYPE: 'The body is not sent as application/json.',
  UNKNOWN_FIELD: 'The body has a field the method does not know (metadata.field).',
  INVALID_FIELD: 'A body field is missing or has the wrong type or value (metadata.field).',
  BODY_TOO_LARGE: 'The body exceeds the server limit (HTTP 413).',
  ROUTE_NOT_FOUND: 'No route serves this method and path.',
  METHOD_NOT_FOUND: 'The resource has no custom method of that name (metadata.method).',
} as const;

export type ErrorReason = keyof typeof ERROR_REASON_TEXT;
export const ERROR_REASONS = Object.keys(ERROR_REASON_TEXT) as ErrorReason[];

/** ErrorInfo.domain of every Stint error. */
export const ERROR_DOMAIN = 'stint.dev';

export interface StintErrorOptions {
  cause?: unknown;
  retryAfter?: number;
  /** Defaults to the status name. */
  reason?: ErrorReason;
  metadata?: Record<string, string>;
}

export class StintError extends Error {
  readonly status: ErrorStatus;
  readonly httpStatus: number;
  /** Seconds, for RESOURCE_EXHAUSTED / UNAVAILABLE. */
  readonly retryAfter: number | undefined;
  readonly reason: ErrorReason;
  readonly metadata: Record<string, string> | undefined;

  constructor(status: ErrorStatus, message: string, opts: StintErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'StintError';
    this.status = status;
    this.httpStatus = ERROR_STATUSES[status];
    this.retryAfter = opts.retryAfter;
    this.reason = opts.reason ?? status;
    this.metadata = opts.metadata;
  }
}

export const invalidArgument = (message: string, opts?: Pick<StintErrorOptions, 'reason' | 'metadata'>) =>
  new StintError('INVALID_ARGUMENT', message, opts);
export const failedPrecondition = (message: string) => new StintError('FAILED_PRECONDITION', message);
export const notFound = (message: string, opts?: Pick<StintErrorOptions, 'reason' | 'metadata'>) =>
  new StintError('NOT_FOUND', message, opts);

export function isStintError(e: unknown): e is StintError {
  return e instanceof StintError;
}
