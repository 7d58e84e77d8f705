/** The browser session cookie and its CSRF tokens. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SESSION_TTL_SECONDS, SessionCookies } from '../../src/web/auth/session-cookie.ts';

const who = { tenantId: 'acme', keyId: 'k1', role: 'member' as const };

test('a cookie reads back only unaltered, unexpired and with this secret', () => {
  const cookies = new SessionCookies('secret-1');
  const now = Date.now();
  const { value, session } = cookies.issue(who, now);
  assert.deepEqual(cookies.read(value, now)?.principal, who);
  assert.equal(cookies.read(value, now + SESSION_TTL_SECONDS * 1000 + 1), undefined);
  assert.equal(new SessionCookies('secret-2').read(value, now), undefined);
  const [body, mac] = value.split('.');
  const forged = Buffer.from(
    JSON.stringify({ ...JSON.parse(Buffer.from(body!, 'base64url').toString()), t: 'other' }),
  ).toString('base64url');
  assert.equal(cookies.read(`${forged}.${mac}`, now), undefined);
  assert.equal(cookies.read('garbage', now), undefined);
  assert.equal(cookies.read(undefined, now), undefined);
  assert.ok(!value.includes('secret'));

  const csrf = cookies.csrfToken(session);
  assert.ok(cookies.checkCsrf(session, csrf));
  assert.ok(!cookies.checkCsrf(session, `${csrf}x`));
  assert.ok(!cookies.checkCsrf(session, undefined));
  assert.ok(!cookies.checkCsrf(cookies.issue(who, now).session, csrf), 'tokens are per sign-in');
});

test('sign-in challenges and sealed notices', () => {
  const cookies = new SessionCookies('s');
  const c = cookies.signInChallenge();
  assert.ok(cookies.checkSignIn(c.nonce, c.token));
  assert.ok(!cookies.checkSignIn(cookies.signInChallenge().nonce, c.token));
  assert.ok(!cookies.checkSignIn(undefined, c.token));
  assert.equal(cookies.unseal(cookies.seal('héllo')), 'héllo');
  assert.equal(cookies.unseal(`${cookies.seal('x')}y`), undefined);
});
