// The JSON Web Token a GitHub App signs (RS256) to act as the app: valid ten minutes at most,
// issued a minute in the past to tolerate clock drift.
import { createPrivateKey, sign } from 'node:crypto';

export function appJwt(appId: string, privateKeyPem: string, nowMs = Date.now()): string {
  const now = Math.floor(nowMs / 1000);
  const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const payload = b64url(JSON.stringify({ iat: now - 60, exp: now + 540, iss: appId }));
  const key = createPrivateKey(privateKeyPem);
  const signature = sign('RSA-SHA256', Buffer.from(`${header}.${payload}`), key).toString('base64url');
  return `${header}.${payload}.${signature}`;
}

function b64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}
