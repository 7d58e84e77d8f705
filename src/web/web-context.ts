/** What the web UI's routes share, and the helpers every page uses (who is signed in, notices, headers). */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticator } from '../api/auth.ts';
import type { SessionEvents } from '../services/events.ts';
import type { SessionService } from '../services/session-service.ts';
import type { SourceService } from '../services/source-service.ts';
import type { Store } from '../store/store.ts';
import type { WebSession } from './auth/session-cookie.ts';
import type { WebAuth } from './auth/web-auth.ts';
import type { LiveStreams } from './live/session-stream.ts';
import type { Notice, Viewer } from './views/layout.ts';

export interface WebContext {
  sessions: SessionService;
  sources: SourceService;
  events: SessionEvents;
  keys: Authenticator;
  /** Reads only: source records for pickers. */
  store: Pick<Store, 'listSources'>;
  auth: WebAuth;
  streams: LiveStreams;
  publicUrl(): string;
}

const FLASH_COOKIE = 'stint_notice';

/** Content-Security-Policy: our own script and styles only, no framing, forms post only to us. */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function sendHtml(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply
    .code(status)
    .header('content-security-policy', CSP)
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'same-origin')
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(body);
}

export function redirect(reply: FastifyReply, to: string): FastifyReply {
  return reply.code(303).header('cache-control', 'no-store').header('location', to).send();
}

/** A same-site path to return to after sign-in, or /sessions. */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//') || next.includes('\\')) {
    return '/sessions';
  }
  return /^[\x20-\x7e]{1,2000}$/.test(next) ? next : '/sessions';
}

export function signInRedirect(req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const next = req.method === 'GET' ? req.url : '/sessions';
  return redirect(reply, `/sign-in?next=${encodeURIComponent(safeNext(next))}`);
}

export function viewerOf(ctx: WebContext, session: WebSession): Viewer {
  return { principal: session.principal, csrf: ctx.auth.cookies.csrfToken(session) };
}

/** Keeps a one-line notice for the next page the browser shows (after a redirect). */
export function setNotice(ctx: WebContext, req: FastifyRequest, reply: FastifyReply, notice: Notice): void {
  const text = notice.text.length > 500 ? `${notice.text.slice(0, 499)}…` : notice.text;
  reply.setCookie(FLASH_COOKIE, ctx.auth.cookies.seal(JSON.stringify({ kind: notice.kind, text })), {
    ...ctx.auth.cookieOptions(req, 60),
  });
}

/** The pending notice, if any; it is shown once. */
export function takeNotice(ctx: WebContext, req: FastifyRequest, reply: FastifyReply): Notice | undefined {
  const raw = req.cookies[FLASH_COOKIE];
  if (raw === undefined) return undefined;
  reply.clearCookie(FLASH_COOKIE, ctx.auth.cookieOptions(req));
  try {
    const n = JSON.parse(ctx.auth.cookies.unseal(raw) ?? 'null') as Notice | null;
    if (n && (n.kind === 'error' || n.kind === 'info') && typeof n.text === 'string') return n;
  } catch {}
  return undefined;
}

/** A form field as one string (forms may repeat a name; the last value wins). */
export function field(body: unknown, name: string): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const v = (body as Record<string, unknown>)[name];
  const one = Array.isArray(v) ? v[v.length - 1] : v;
  return typeof one === 'string' ? one : undefined;
}

/**
 * A state-changing request must come from our own pages: when the browser names its Origin, it is this
 * server as the browser reached it (Host, X-Forwarded-Host) or the configured public URL.
 */
export function sameOrigin(ctx: WebContext, req: FastifyRequest): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return false;
  }
  const allowed = [
    req.headers.host,
    String(req.headers['x-forwarded-host'] ?? '')
      .split(',')[0]!
      .trim(),
  ];
  try {
    allowed.push(new URL(ctx.publicUrl()).host);
  } catch {}
  return allowed.includes(host);
}

/** The signed-in browser session, also set as the request's principal (the audit log records it). */
export async function signedIn(ctx: WebContext, req: FastifyRequest): Promise<WebSession | undefined> {
  const session = await ctx.auth.session(req);
  if (session) req.principal = session.principal;
  return session;
}

/** Proof that a state-changing form was posted by our page in this browser session. */
export function validPost(ctx: WebContext, req: FastifyRequest, session: WebSession): boolean {
  return sameOrigin(ctx, req) && ctx.auth.cookies.checkCsrf(session, field(req.body, '_csrf'));
}
