import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { PageTokens } from '../../src/api/paging.ts';

const secret = 'a server secret, as configured';

/** A token as the tokens before the key object were made: HMAC keyed by the secret's bytes. */
function tokenByHand(scope: string, cursor: unknown): string {
  const body = Buffer.from(JSON.stringify({ s: scope, c: cursor })).toString('base64url');
  const sig = createHmac('sha256', Buffer.from(secret, 'utf8')).update(body).digest('base64url').slice(0, 22);
  return `${body}.${sig}`;
}

test('page tokens: the same signature as an HMAC of the secret, so tokens issued before stay valid', () => {
  const tokens = new PageTokens(secret);
  const cursor = { t: 1765082121065759, id: '4958857412067610794' };
  assert.equal(
    tokens.encode('sessions|state != COMPLETED', cursor),
    tokenByHand('sessions|state != COMPLETED', cursor),
  );
  assert.deepEqual(tokens.decode('sessions|x', tokenByHand('sessions|x', cursor)), cursor);
  assert.deepEqual(new PageTokens(secret).decode('s', tokens.encode('s', [1, 2])), [1, 2]);
});

test('page tokens: another scope, another secret or an altered token are refused', () => {
  const tokens = new PageTokens(secret);
  const token = tokens.encode('sessions|', { t: 1 });
  assert.throws(() => tokens.decode('activities|', token), /pageToken is not valid/);
  assert.throws(() => new PageTokens('other').decode('sessions|', token), /pageToken is not valid/);
  // The signature's first character (its last one carries bits the decoding ignores).
  const dot = token.indexOf('.');
  const altered = `${token.slice(0, dot + 1)}${token[dot + 1] === 'A' ? 'B' : 'A'}${token.slice(dot + 2)}`;
  assert.throws(() => tokens.decode('sessions|', altered), /pageToken is not valid/);
  assert.equal(tokens.decode('sessions|', ''), undefined);
});
