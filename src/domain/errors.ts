/**
 * The error catalogue. Every error Stint returns to a client is a StintError with a
 * Google-style status; the API maps it onto HTTP with one handler.
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

export class StintError extends Error {
  readonly status: ErrorStatus;
  readonly httpStatus: number;
  /** Seconds, for RESOURCE_EXHAUSTED / UNAVAILABLE. */
  readonly retryAfter: number | undefined;

  constructor(status: ErrorStatus, message: string, opts: { cause?: unknown; retryAfter?: number } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'StintError';
    this.status = status;
    this.httpStatus = ERROR_STATUSES[status];
    this.retryAfter = opts.retryAfter;
  }
}

export const invalidArgument = (message: string) => new StintError('INVALID_ARGUMENT', message);
export const failedPrecondition = (message: string) => new StintError('FAILED_PRECONDITION', message);
export const notFound = (message: string) => new StintError('NOT_FOUND', message);

export function isStintError(e: unknown): e is StintError {
  return e instanceof StintError;
}
