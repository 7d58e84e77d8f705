/**
 * The browser's sign-in: an HMAC-signed, httpOnly cookie naming the API key it was obtained with
 * (never the key itself), plus CSRF tokens derived from it. Stateless on the server; the key's
 * revocation ends every browser session made with it (checked on each request, see WebAuth).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Principal } from '../../services/session-service.ts';

export const SESSION_COOKIE = 'stint_session';
/** Holds a nonce between showing the sign-in form and posting it (login CSRF protection). */
export const SIGN_IN_COOKIE = 'stint_sign_in';

/** How long a browser session lasts after sign-in. */
export const SESSION_TTL_SECONDS = 12 * 60 * 60;

export interface WebSession {
  principal: Principal;
  /** Seconds since the epoch. */
  expiresAt: number;
  /** Random per sign-in; the CSRF token is derived from it. */
  nonce: string;
}

interface Payload {
  v: 1;
  k: string;
  t: string;
  r: Principal['role'];
  e: number;
  n: string;
}

export class SessionCookies {
  readonly #secret: Buffer;

  constructor(secret: string) {
    this.#secret = Buffer.from(secret, 'utf8');
  }

  issue(principal: Principal, nowMs = Date.now()): { value: string; session: WebSession } {
    const session: WebSession = {
      principal: { ...principal },
      expiresAt: Math.floor(nowMs / 1000) + SESSION_TTL_SECONDS,
      nonce: randomBytes(16).toString('base64url'),
    };
    const payload: Payload = {
      v: 1,
      k: principal.keyId,
      t: principal.tenantId,
      r: principal.role,
      e: session.expiresAt,
      n: session.nonce,
    };
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return { value: `${body}.${this.#mac('session', body)}`, session };
  }

  /** The session in a cookie value, or undefined when it is missing, forged, malformed or expired. */
  read(value: string | undefined, nowMs = Date.now()): WebSession | undefined {
    if (!value || value.length > 1024) return undefined;
    const dot = value.indexOf('.');
    if (dot <= 0) return undefined;
    const body = value.slice(0, dot);
    if (!this.#equal(value.slice(dot + 1), this.#mac('session', body))) return undefined;
    let p: Partial<Payload>;
    try {
      p = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    if (
      p.v !== 1 ||
      typeof p.k !== 'string' ||
      typeof p.t !== 'string' ||
      (p.r !== 'admin' && p.r !== 'member') ||
      typeof p.e !== 'number' ||
      typeof p.n !== 'string'
    ) {
      return undefined;
    }
    if (p.e * 1000 <= nowMs) return undefined;
    return { principal: { keyId: p.k, tenantId: p.t, role: p.r }, expiresAt: p.e, nonce: p.n };
  }

  /** The token every state-changing form of this browser session must carry. */
  csrfToken(session: WebSession): string {
    return this.#mac('csrf', session.nonce);
  }

  checkCsrf(session: WebSession, token: unknown): boolean {
    return typeof token === 'string' && this.#equal(token, this.csrfToken(session));
  }

  /** A fresh sign-in nonce (cookie) and the token the sign-in form carries for it. */
  signInChallenge(): { nonce: string; token: string } {
    const nonce = randomBytes(16).toString('base64url');
    return { nonce, token: this.#mac('sign-in', nonce) };
  }

  checkSignIn(nonce: string | undefined, token: unknown): boolean {
    return (
      typeof nonce === 'string' &&
      nonce !== '' &&
      typeof token === 'string' &&
      this.#equal(token, this.#mac('sign-in', nonce))
    );
  }

  /** Signs short text (e.g. a one-time notice) so only this server's values are accepted back. */
  seal(text: string): string {
    const body = Buffer.from(text, 'utf8').toString('base64url');
    return `${body}.${this.#mac('seal', body)}`;
  }

  unseal(value: string | undefined): string | undefined {
    if (!value || value.length > 4096) return undefined;
    const dot = value.indexOf('.');
    if (dot <= 0) return undefined;
    const body = value.slice(0, dot);
    if (!this.#equal(value.slice(dot + 1), this.#mac('seal', body))) return undefined;
    return Buffer.from(body, 'base64url').toString('utf8');
  }

  #mac(purpose: string, text: string): string {
    return createHmac('sha256', this.#secret).update(`${purpose}|${text}`).digest('base64url');
  }

  #equal(a: string, b: string): boolean {
    const x = Buffer.from(a);
    const y = Buffer.from(b);
    return x.length === y.length && timingSafeEqual(x, y);
  }
}
