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

const MAX_CACHED = 10_000;

/**
 * Resolves keys to principals, with a short cache so polling clients cost no store read for auth.
 * The cache is keyed by the key's SHA-256 (what the store holds), never by the key itself, and holds
 * unknown and revoked keys too (a client retrying a bad key costs no store read either). A key
 * revoked in this process is refused from the next request on (`forgetKeys`); one revoked by another
 * process (the CLI, another API process on PostgreSQL) within `ttlMs`.
 */
export class Authenticator {
  readonly #store: Pick<Store, 'findApiKeyByHash'>;
  readonly #cache = new Map<string, CacheEntry>();
  readonly #ttlMs: number;
  readonly #now: () => number;
  /** Bumped by forgetKeys: a lookup that started before must not put its answer back in the cache. */
  #generation = 0;

  constructor(
    store: Pick<Store, 'findApiKeyByHash'>,
    opts: { ttlMs?: number; now?: () => number } | number = {},
  ) {
    const o = typeof opts === 'number' ? { ttlMs: opts } : opts;
    this.#store = store;
    this.#ttlMs = o.ttlMs ?? 5000;
    this.#now = o.now ?? Date.now;
  }

  async authenticate(req: FastifyRequest): Promise<Principal> {
    const key = keyFromRequest(req);
    if (!key) throw missingKey();
    const principal = await this.#principalForHash(hashApiKey(key));
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
    const hash = hashApiKey(key);
    const hit = this.#cache.get(hash);
    if (hit && this.#now() - hit.at <= this.#ttlMs) {
      if (!hit.principal) throw invalidKey();
      return hit.principal;
    }
    return this.#principalForHash(hash).then((p) => {
      if (!p) throw invalidKey();
      return p;
    });
  }

  /** The principal of a key, or undefined when it is unknown or revoked (the web UI's sign-in uses it). */
  principalForKey(key: string): Promise<Principal | undefined> {
    return this.#principalForHash(hashApiKey(key));
  }

  /**
   * Forgets every cached answer: call after revoking a key (or changing what a key may do), so the
   * next request with it is checked against the store again.
   */
  forgetKeys(): void {
    this.#generation += 1;
    this.#cache.clear();
  }

  async #principalForHash(hash: string): Promise<Principal | undefined> {
    const hit = this.#cache.get(hash);
    if (hit && this.#now() - hit.at <= this.#ttlMs) return hit.principal;
    const generation = this.#generation;
    const rec = await this.#store.findApiKeyByHash(hash);
    const principal: Principal | undefined =
      rec && !rec.revoked ? { tenantId: rec.tenantId, keyId: rec.id, role: rec.role } : undefined;
    // A revocation while the store was read: answer this request, but do not cache the answer.
    if (generation === this.#generation) {
      if (this.#cache.size >= MAX_CACHED) this.#cache.clear();
      this.#cache.set(hash, { at: this.#now(), principal });
    }
    return principal;
  }
}
