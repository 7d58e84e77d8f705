/** Sign in with an API key (a signed session cookie follows), sign out. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SIGN_IN_COOKIE } from '../auth/session-cookie.ts';
import { signInPage } from '../views/sign-in-page.ts';
import {
  field,
  redirect,
  safeNext,
  sameOrigin,
  sendHtml,
  setNotice,
  takeNotice,
  type WebContext,
} from '../web-context.ts';

/** The sign-in form's nonce cookie lives as long as someone may take to paste a key. */
const SIGN_IN_TTL_SECONDS = 30 * 60;

export function authRoutes(app: FastifyInstance, ctx: WebContext): void {
  const showForm = (
    req: FastifyRequest,
    reply: FastifyReply,
    status: number,
    next: string,
    error?: string,
  ) => {
    const challenge = ctx.auth.cookies.signInChallenge();
    reply.setCookie(SIGN_IN_COOKIE, challenge.nonce, ctx.auth.cookieOptions(req, SIGN_IN_TTL_SECONDS));
    const notice = error === undefined ? takeNotice(ctx, req, reply) : undefined;
    return sendHtml(reply, status, signInPage({ token: challenge.token, next, error, notice }));
  };

  app.get('/', async (_req, reply) => redirect(reply, '/sessions'));

  app.get<{ Querystring: { next?: string } }>('/sign-in', async (req, reply) => {
    const next = safeNext(req.query.next);
    if (await ctx.auth.session(req)) return redirect(reply, next);
    return showForm(req, reply, 200, next);
  });

  app.post('/sign-in', async (req, reply) => {
    const next = safeNext(field(req.body, 'next'));
    if (
      !sameOrigin(ctx, req) ||
      !ctx.auth.cookies.checkSignIn(req.cookies[SIGN_IN_COOKIE], field(req.body, '_token'))
    ) {
      return showForm(
        req,
        reply,
        403,
        next,
        'The sign-in form expired or came from another site. Try again.',
      );
    }
    const key = (field(req.body, 'apiKey') ?? '').trim();
    const principal = key === '' || key.length > 512 ? undefined : await ctx.keys.principalForKey(key);
    if (!principal) {
      req.log.info('web sign-in refused: unknown or revoked API key');
      return showForm(req, reply, 401, next, 'That API key is not valid (unknown or revoked).');
    }
    const { value } = ctx.auth.cookies.issue(principal);
    ctx.auth.setSession(req, reply, value);
    reply.clearCookie(SIGN_IN_COOKIE, ctx.auth.cookieOptions(req));
    req.log.info({ tenantId: principal.tenantId, keyId: principal.keyId }, 'web sign-in');
    return redirect(reply, next);
  });

  app.post('/sign-out', async (req, reply) => {
    const session = await ctx.auth.session(req);
    // Signing out needs no CSRF proof to be harmless, but a forged one must not sign anyone out.
    if (session && sameOrigin(ctx, req) && ctx.auth.cookies.checkCsrf(session, field(req.body, '_csrf'))) {
      ctx.auth.clearSession(req, reply);
      setNotice(ctx, req, reply, { kind: 'info', text: 'Signed out.' });
    }
    return redirect(reply, '/sign-in');
  });
}
