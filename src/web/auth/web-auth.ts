/** Who a browser request is: its signed session cookie, as long as the API key behind it is still active. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Store } from '../../store/store.ts';
import {
  SESSION_COOKIE,
  SESSION_TTL_SECONDS,
  type SessionCookies,
  type WebSession,
} from './session-cookie.ts';

/** The narrow part of the store this needs: reading keys to see revocations. */
export type KeyReader = Pick<Store, 'listApiKeys'>;

export interface CookieOptions {
  path: string;
  httpOnly: true;
  sameSite: 'lax';
  secure: boolean;
  maxAge?: number;
}

export class WebAuth {
  readonly #cookies: SessionCookies;
  readonly #keys: KeyReader;
  readonly #publicUrl: () => string;
  readonly #ttlMs: number;
  readonly #active = new Map<string, { at: number; ids: Promise<Set<string>> }>();

  constructor(cookies: SessionCookies, keys: KeyReader, publicUrl: () => string, ttlMs = 5000) {
    this.#cookies = cookies;
    this.#keys = keys;
    this.#publicUrl = publicUrl;
    this.#ttlMs = ttlMs;
  }

  get cookies(): SessionCookies {
    return this.#cookies;
  }

  /** The signed-in browser session of a request, or undefined. */
  async session(req: FastifyRequest): Promise<WebSession | undefined> {
    const session = this.#cookies.read(req.cookies[SESSION_COOKIE]);
    if (!session) return undefined;
    const active = await this.#activeKeys(session.principal.tenantId);
    return active.has(session.principal.keyId) ? session : undefined;
  }

  /** Cookie attributes: httpOnly, SameSite=Lax, and Secure whenever the browser talks https. */
  cookieOptions(req: FastifyRequest, maxAge?: number): CookieOptions {
    const forwarded = String(req.headers['x-forwarded-proto'] ?? '')
      .split(',')[0]!
      .trim();
    const secure =
      this.#publicUrl().startsWith('https://') || req.protocol === 'https' || forwarded === 'https';
    return {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure,
      ...(maxAge !== undefined ? { maxAge } : {}),
    };
  }

  setSession(req: FastifyRequest, reply: FastifyReply, value: string): void {
    reply.setCookie(SESSION_COOKIE, value, this.cookieOptions(req, SESSION_TTL_SECONDS));
  }

  clearSession(req: FastifyRequest, reply: FastifyReply): void {
    reply.clearCookie(SESSION_COOKIE, this.cookieOptions(req));
  }

  #activeKeys(tenantId: string): Promise<Set<string>> {
    const hit = this.#active.get(tenantId);
    if (hit && Date.now() - hit.at < this.#ttlMs) return hit.ids;
    const ids = this.#keys
      .listApiKeys(tenantId)
      .then((keys) => new Set(keys.filter((k) => !k.revoked).map((k) => k.id)));
    if (this.#active.size > 10_000) this.#active.clear();
    this.#active.set(tenantId, { at: Date.now(), ids });
    ids.catch(() => this.#active.delete(tenantId));
    return ids;
  }
}
