/**
 * Request rate limits per API key and per tenant (token buckets refilled continuously, holding at
 * most one minute's allowance). Off unless a default or a key's or tenant's own limit is set.
 * State is per process: with several servers each enforces the limit on its own share.
 */
import { StintError } from '../domain/errors.ts';
import type { Principal } from '../services/session-service.ts';
import type { SecurityStore } from '../store/security-store.ts';

export interface RateLimitDefaults {
  /** Requests per minute per key; 0 = unlimited. */
  perKey: number;
  /** Requests per minute per tenant; 0 = unlimited. */
  perTenant: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

const MAX_BUCKETS = 100_000;

export class RateLimiter {
  readonly #store: SecurityStore;
  readonly #defaults: RateLimitDefaults;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #limits = new Map<string, { at: number; key: number; tenant: number }>();
  readonly #buckets = new Map<string, Bucket>();

  constructor(
    store: SecurityStore,
    defaults: RateLimitDefaults,
    opts: { ttlMs?: number; now?: () => number } = {},
  ) {
    this.#store = store;
    this.#defaults = defaults;
    this.#ttlMs = opts.ttlMs ?? 5000;
    this.#now = opts.now ?? Date.now;
  }

  /** Takes one request from the key's and the tenant's allowance, or throws RESOURCE_EXHAUSTED. */
  async check(who: Principal): Promise<void> {
    this.#take(who, await this.#limitsFor(who));
  }

  /**
   * The same, without a promise when the key's limits are cached (every request but one in five
   * seconds per key): the hot path of every API request. Returns a promise only on a cache miss.
   */
  checkFast(who: Principal): Promise<void> | undefined {
    const hit = this.#limits.get(who.keyId);
    if (hit && this.#now() - hit.at < this.#ttlMs) {
      this.#take(who, hit);
      return undefined;
    }
    return this.check(who);
  }

  #take(who: Principal, limits: { key: number; tenant: number }): void {
    if (limits.key === 0 && limits.tenant === 0) return;
    const now = this.#now();
    const keyBucket = limits.key > 0 ? this.#refill(`k:${who.keyId}`, limits.key, now) : undefined;
    const tenantBucket =
      limits.tenant > 0 ? this.#refill(`t:${who.tenantId}`, limits.tenant, now) : undefined;
    let waitMs = 0;
    if (keyBucket && keyBucket.tokens < 1)
      waitMs = Math.max(waitMs, ((1 - keyBucket.tokens) * 60_000) / limits.key);
    if (tenantBucket && tenantBucket.tokens < 1) {
      waitMs = Math.max(waitMs, ((1 - tenantBucket.tokens) * 60_000) / limits.tenant);
    }
    if (waitMs > 0) {
      const which = keyBucket && keyBucket.tokens < 1 ? 'this API key' : 'this tenant';
      throw new StintError(
        'RESOURCE_EXHAUSTED',
        `Rate limit exceeded for ${which}; retry after ${Math.ceil(waitMs / 1000)} s.`,
        { retryAfter: Math.max(1, Math.ceil(waitMs / 1000)) },
      );
    }
    if (keyBucket) keyBucket.tokens -= 1;
    if (tenantBucket) tenantBucket.tokens -= 1;
  }

  /** Forgets cached limits (after an admin changes them in this process). */
  invalidate(): void {
    this.#limits.clear();
  }

  #refill(id: string, perMinute: number, now: number): Bucket {
    let b = this.#buckets.get(id);
    if (!b) {
      if (this.#buckets.size >= MAX_BUCKETS) this.#prune(now);
      b = { tokens: perMinute, at: now };
      this.#buckets.set(id, b);
      return b;
    }
    b.tokens = Math.min(perMinute, b.tokens + ((now - b.at) * perMinute) / 60_000);
    b.at = now;
    return b;
  }

  /** Drops buckets idle for over a minute (they would be full again anyway). */
  #prune(now: number): void {
    for (const [id, b] of this.#buckets) if (now - b.at > 60_000) this.#buckets.delete(id);
  }

  async #limitsFor(who: Principal): Promise<{ key: number; tenant: number }> {
    const hit = this.#limits.get(who.keyId);
    const now = this.#now();
    if (hit && now - hit.at < this.#ttlMs) return hit;
    const stored = await this.#store.rateLimits(who.keyId, who.tenantId);
    const value = {
      at: now,
      key: stored.key ?? this.#defaults.perKey,
      tenant: stored.tenant ?? this.#defaults.perTenant,
    };
    if (this.#limits.size > 10_000) this.#limits.clear();
    this.#limits.set(who.keyId, value);
    return value;
  }
}
