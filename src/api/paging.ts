/**
 * Page sizes and opaque page tokens. A token is a keyset cursor (so it stays
 * correct while rows are inserted), bound to the collection and filter it was
 * issued for, and signed so a forged or altered token is rejected.
 */
import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';
import { invalidArgument } from '../domain/errors.ts';

export const MAX_PAGE_SIZE = 100;

export function parsePageSize(raw: unknown, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const text = Array.isArray(raw) ? raw[raw.length - 1] : raw;
  if (typeof text !== 'string' || !/^-?\d+$/.test(text.trim())) {
    throw invalidArgument(`pageSize must be an integer; got '${String(text)}'.`);
  }
  const n = Number(text);
  if (n < 0) throw invalidArgument(`pageSize must not be negative; got ${n}.`);
  if (n === 0) return fallback;
  return Math.min(n, MAX_PAGE_SIZE);
}

export class PageTokens {
  // A key object: an HMAC keyed by raw bytes imports them again each time (4x the cost of a token).
  readonly #secret: KeyObject;

  constructor(secret: string) {
    this.#secret = createSecretKey(Buffer.from(secret, 'utf8'));
  }

  /** scope: what the token is valid for (collection + parent + filter). */
  encode(scope: string, cursor: unknown): string {
    const body = Buffer.from(JSON.stringify({ s: scope, c: cursor })).toString('base64url');
    return `${body}.${this.#sign(body)}`;
  }

  decode<T>(scope: string, token: unknown): T | undefined {
    if (token === undefined || token === '') return undefined;
    const bad = () => invalidArgument('pageToken is not valid for this request; start again without it.');
    if (typeof token !== 'string' || token.length > 2048) throw bad();
    const dot = token.indexOf('.');
    if (dot < 0) throw bad();
    const body = token.slice(0, dot);
    const sig = Buffer.from(token.slice(dot + 1), 'base64url');
    const expected = Buffer.from(this.#sign(body), 'base64url');
    if (sig.length !== expected.length || !timingSafeEqual(sig, expected)) throw bad();
    let parsed: { s?: unknown; c?: unknown };
    try {
      parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      throw bad();
    }
    if (parsed.s !== scope || parsed.c === undefined) throw bad();
    return parsed.c as T;
  }

  #sign(body: string): string {
    return createHmac('sha256', this.#secret).update(body).digest('base64url').slice(0, 22);
  }
}

/** Fetch limit+1 rows; return the page and whether more remain. */
export function splitPage<T>(rows: T[], limit: number): { items: T[]; more: boolean } {
  return rows.length > limit ? { items: rows.slice(0, limit), more: true } : { items: rows, more: false };
}
