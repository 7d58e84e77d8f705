/**
 * Idempotency keys: a POST carrying `Idempotency-Key` reserves (tenant, key) before it runs and
 * records its response after, so a retry gets the same answer instead of running again.
 */
import type { Micros } from '../domain/time.ts';

export interface IdempotencyRecord {
  tenantId: string;
  key: string;
  /** Hash of method, path and body: a key may not be reused for a different request. */
  fingerprint: string;
  state: 'pending' | 'done';
  /** A pending reservation older than this belongs to a request that died; it may be taken over. */
  lockExpiresAt: Micros;
  statusCode?: number;
  response?: string;
  contentType?: string;
  createTime: Micros;
  expireTime: Micros;
}

export interface ReserveRequest {
  tenantId: string;
  key: string;
  fingerprint: string;
  lockMs: number;
  ttlMs: number;
}

export type ReserveResult = { reserved: true } | { reserved: false; existing: IdempotencyRecord };

export interface IdempotencyStore {
  /** Reserves the key, unless a live record (pending with a live lock, or done and unexpired) holds it. */
  reserve(req: ReserveRequest): Promise<ReserveResult>;
  /** Records the response of the request holding the reservation. */
  complete(
    tenantId: string,
    key: string,
    fingerprint: string,
    result: { statusCode: number; response: string; contentType: string },
  ): Promise<void>;
  /** Drops a pending reservation (the request failed in a way a retry may fix). */
  release(tenantId: string, key: string, fingerprint: string): Promise<void>;
  get(tenantId: string, key: string): Promise<IdempotencyRecord | undefined>;
  purgeExpired(): Promise<number>;
}
