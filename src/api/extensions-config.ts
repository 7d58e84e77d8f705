/** Configuration of streams, webhooks, idempotency and metrics (environment > defaults). */

import { envInt } from '../env-int.ts';
import { type Cidr, parseAllowlist } from '../webhooks/address-filter.ts';
import type { MetricsAccess } from './metrics.ts';

export interface ExtensionsConfig {
  /** STINT_SSE_HEARTBEAT_MS: a comment line after this much silence on a live stream. */
  sseHeartbeatMs: number;
  /** STINT_STREAM_POLL_MS: longest wait before a live stream re-reads the store. */
  streamPollMs: number;
  /** STINT_WEBHOOK_RETRY_BASE_MS / _MAX_MS: first and longest delay between attempts. */
  webhookRetryBaseMs: number;
  webhookRetryMaxMs: number;
  /** STINT_WEBHOOK_RETRY_WINDOW_MS: how long a failing delivery is retried (default 24 h). */
  webhookRetryWindowMs: number;
  /** STINT_WEBHOOK_TIMEOUT_MS: per attempt. */
  webhookTimeoutMs: number;
  /**
   * STINT_WEBHOOK_ALLOW_PRIVATE: comma-separated CIDR ranges webhooks may reach although they are not
   * public (loopback, private, link-local, ...), for on-prem receivers. Default none.
   */
  webhookAllowPrivate: readonly Cidr[];
  /** STINT_IDEMPOTENCY_TTL_MS: how long an Idempotency-Key and its response are kept. */
  idempotencyTtlMs: number;
  /** STINT_METRICS: admin (default; needs an admin key), public, or off. */
  metrics: MetricsAccess;
}

const DAY = 24 * 3600_000;

export function buildExtensionsConfig(
  env: NodeJS.ProcessEnv,
  error: (message: string) => Error,
): ExtensionsConfig {
  const int = (name: string, fallback: number, min: number, max: number) =>
    envInt(error, name, env[name], fallback, min, max);
  const metrics = (env.STINT_METRICS || 'admin').toLowerCase();
  if (metrics !== 'admin' && metrics !== 'public' && metrics !== 'off') {
    throw error(`STINT_METRICS must be admin, public or off; got '${env.STINT_METRICS}'.`);
  }
  const webhookRetryBaseMs = int('STINT_WEBHOOK_RETRY_BASE_MS', 5_000, 10, 3600_000);
  const webhookRetryMaxMs = int('STINT_WEBHOOK_RETRY_MAX_MS', 3600_000, 10, DAY);
  if (webhookRetryMaxMs < webhookRetryBaseMs) {
    throw error('STINT_WEBHOOK_RETRY_MAX_MS must not be below STINT_WEBHOOK_RETRY_BASE_MS.');
  }
  return Object.freeze({
    sseHeartbeatMs: int('STINT_SSE_HEARTBEAT_MS', 15_000, 50, 600_000),
    streamPollMs: int('STINT_STREAM_POLL_MS', 2_000, 50, 60_000),
    webhookRetryBaseMs,
    webhookRetryMaxMs,
    webhookRetryWindowMs: int('STINT_WEBHOOK_RETRY_WINDOW_MS', DAY, 1000, 30 * DAY),
    webhookTimeoutMs: int('STINT_WEBHOOK_TIMEOUT_MS', 15_000, 100, 300_000),
    webhookAllowPrivate: allowPrivate(env.STINT_WEBHOOK_ALLOW_PRIVATE, error),
    idempotencyTtlMs: int('STINT_IDEMPOTENCY_TTL_MS', DAY, 1000, 30 * DAY),
    metrics,
  });
}

function allowPrivate(raw: string | undefined, error: (message: string) => Error): readonly Cidr[] {
  try {
    return Object.freeze(parseAllowlist(raw));
  } catch (e) {
    throw error(`STINT_WEBHOOK_ALLOW_PRIVATE: ${(e as Error).message}.`);
  }
}
