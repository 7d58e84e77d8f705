/** API keys: header X-Goog-Api-Key or Authorization: Bearer; stored as SHA-256 hashes only. */
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { StintError } from '../domain/errors.ts';
import { newOpaqueId } from '../domain/ids.ts';
import { nowMicros } from '../domain/time.ts';
import type { Principal } from '../services/session-service.ts';
import type { ApiKeyRecord, KeyRole, Store } from '../store/store.ts';

export const DEFAULT_TENANT = 'default';

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function generateApiKey(): string {
  return `stint_${randomBytes(24).toString('base64url')}`;
}

/** Stores a key's hash (idempotent for the same key); returns its record. */
export async function registerApiKey(
  store: Store,
  key: string,
  opts: { name: string; role: KeyRole; tenantId?: string },
): Promise<ApiKeyRecord> {
  const tenantId = opts.tenantId ?? DEFAULT_TENANT;
  const hash = hashApiKey(key);
  const existing = await store.findApiKeyByHash(hash);
  if (existing) return existing;
  await store.ensureTenant(tenantId, tenantId);
  const record: ApiKeyRecord = {
    id: newOpaqueId(9),
    tenantId,
    name: opts.name,
    hash,
    role: opts.role,
    createTime: nowMicros(),
    revoked: false,
  };
  await store.createApiKey(record);
  return record;
}

export function keyFromRequest(req: FastifyRequest): string | undefined {
  const header = req.headers['x-goog-api-key'];
  if (typeof header === 'string' && header !== '') return header;
  const auth = req.headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  return undefined;
}

type CacheEntry = { at: number; principal: Principal | undefined };

const missingKey = () =>
  new StintError(
    'UNAUTHENTICATED',
    'Request is missing an API key: send it in the X-Goog-Api-Key header or as Authorization: Bearer.',
  );
const invalidKey = () => new StintError('UNAUTHENTICATED', 'API key is not valid.');

/**
 * Resolves keys to principals, with a short cache so polling clients cost no store read for auth.
 * The cache is keyed by the key as sent (in memory only, like the request that carried it), so a
 * cached key costs no hashing either; the store only ever sees hashes.
 */
export class Authenticator {
  readonly #store: Store;
  readonly #cache = new Map<string, CacheEntry>();
  readonly #ttlMs: number;

  constructor(store: Store, ttlMs = 5000) {
    this.#store = store;
    this.#ttlMs = ttlMs;
  }

  async authenticate(req: FastifyRequest): Promise<Principal> {
    const key = keyFromRequest(req);
    if (!key) throw missingKey();
    const principal = await this.principalForKey(key);
    if (!principal) throw invalidKey();
    return principal;
  }

  /**
   * authenticate() without a promise when the key is cached (the hot path of every API request):
   * the principal, or a promise of it on a cache miss; throws UNAUTHENTICATED.
   */
  authenticateFast(req: FastifyRequest): Principal | Promise<Principal> {
    const key = keyFromRequest(req);
    if (!key) throw missingKey();
    const hit = this.#cache.get(key);
    if (hit && Date.now() - hit.at <= this.#ttlMs) {
      if (!hit.principal) throw invalidKey();
      return hit.principal;
    }
    return this.authenticate(req);
  }

  /** The principal of a key, or undefined when it is unknown or revoked (the web UI's sign-in uses it). */
  async principalForKey(key: string): Promise<Principal | undefined> {
    let hit = this.#cache.get(key);
    if (!hit || Date.now() - hit.at > this.#ttlMs) {
      const rec = await this.#store.findApiKeyByHash(hashApiKey(key));
      hit = {
        at: Date.now(),
        principal:
          rec && !rec.revoked ? { tenantId: rec.tenantId, keyId: rec.id, role: rec.role } : undefined,
      };
      if (this.#cache.size > 10_000) this.#cache.clear();
      this.#cache.set(key, hit);
    }
    return hit.principal;
  }
}
