/** Who a browser request is: a valid cookie of a key that is still active. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FastifyRequest } from 'fastify';
import type { ApiKeyRecord } from '../../src/store/store.ts';
import { SESSION_COOKIE, SessionCookies } from '../../src/web/auth/session-cookie.ts';
import { type KeyReader, WebAuth } from '../../src/web/auth/web-auth.ts';

const key: ApiKeyRecord = {
  id: 'k1',
  tenantId: 'acme',
  name: 'n',
  hash: 'h',
  role: 'member',
  createTime: 1,
  revoked: false,
};

const request = (cookie: string | undefined, headers: Record<string, string> = {}) =>
  ({
    cookies: cookie ? { [SESSION_COOKIE]: cookie } : {},
    headers,
    protocol: 'http',
  }) as unknown as FastifyRequest;

test('revoking the key ends its browser sessions; forged cookies are nobody', async () => {
  const keys: ApiKeyRecord[] = [{ ...key }];
  const reader: KeyReader = { listApiKeys: async (tenantId) => keys.filter((k) => k.tenantId === tenantId) };
  const cookies = new SessionCookies('secret');
  const auth = new WebAuth(cookies, reader, () => 'http://127.0.0.1:1', 0);
  const { value } = cookies.issue({ tenantId: 'acme', keyId: 'k1', role: 'member' });
  assert.equal((await auth.session(request(value)))?.principal.keyId, 'k1');
  assert.equal(await auth.session(request(undefined)), undefined);
  const forged = new SessionCookies('other').issue({ tenantId: 'acme', keyId: 'k1', role: 'member' });
  assert.equal(await auth.session(request(forged.value)), undefined);
  keys[0]!.revoked = true;
  assert.equal(await auth.session(request(value)), undefined);
});

test('cookies are Secure when the browser talks https', () => {
  const reader: KeyReader = { listApiKeys: async () => [] };
  const plain = new WebAuth(new SessionCookies('s'), reader, () => 'http://stint.local');
  assert.equal(plain.cookieOptions(request(undefined)).secure, false);
  assert.equal(plain.cookieOptions(request(undefined, { 'x-forwarded-proto': 'https' })).secure, true);
  const tls = new WebAuth(new SessionCookies('s'), reader, () => 'https://stint.example.com');
  assert.deepEqual(tls.cookieOptions(request(undefined), 60), {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: true,
    maxAge: 60,
  });
});
