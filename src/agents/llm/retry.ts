/** Retries a model request on transient errors with exponential backoff, honouring Retry-After. */
import { setTimeout as sleep } from 'node:timers/promises';
import { classifyModelError, type ModelFailure } from './model-errors.ts';

export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries: number;
  /** First delay; doubles each retry. */
  baseMs: number;
  /** No single wait is longer than this, whatever Retry-After says. */
  maxDelayMs: number;
}

/** A request that failed for good (or after every retry); `failure` says how. */
export class ModelRequestError extends Error {
  readonly failure: ModelFailure;
  readonly attempts: number;

  constructor(failure: ModelFailure, attempts: number, cause: unknown) {
    super(failure.message, { cause });
    this.name = 'ModelRequestError';
    this.failure = failure;
    this.attempts = attempts;
  }
}

export interface RetryNotice {
  attempt: number;
  delayMs: number;
  failure: ModelFailure;
}

export async function withRetries<T>(
  attempt: () => Promise<T>,
  policy: RetryPolicy,
  signal: AbortSignal,
  onRetry?: (n: RetryNotice) => void,
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (e) {
      signal.throwIfAborted();
      const failure = classifyModelError(e);
      if (failure.kind === 'internal') throw e;
      if (failure.kind !== 'transient' || n > policy.maxRetries) throw new ModelRequestError(failure, n, e);
      const backoff = policy.baseMs * 2 ** (n - 1);
      const delayMs = Math.min(policy.maxDelayMs, failure.retryAfterMs ?? backoff);
      onRetry?.({ attempt: n, delayMs, failure });
      await sleep(delayMs, undefined, { signal });
    }
  }
}
