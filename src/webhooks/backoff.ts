/** When a failed delivery is tried again, and when it is given up. */
export interface RetryPolicy {
  /** Delay after the first failure; doubles after each further one. */
  baseMs: number;
  /** Longest delay between two attempts. */
  maxMs: number;
  /** Retry for at least this long after the delivery was created (or redelivered). */
  windowMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = Object.freeze({
  baseMs: 5_000,
  maxMs: 60 * 60_000,
  windowMs: 24 * 60 * 60_000,
});

/** Delay before attempt `failures + 1`, with ±10 % jitter so receivers are not hit in waves. */
export function retryDelayMs(failures: number, policy: RetryPolicy, random = Math.random): number {
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, Math.min(failures - 1, 40)));
  return Math.round(exp * (0.9 + 0.2 * random()));
}

/** Whether a delivery whose window started at `windowStartMs` is still retried at `nowMs`. */
export function withinWindow(windowStartMs: number, nowMs: number, policy: RetryPolicy): boolean {
  return nowMs - windowStartMs < policy.windowMs;
}
