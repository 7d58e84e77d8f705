/** Secrets at rest: AES-256-GCM under the server key, bound to the secret's identity; the key file. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { SecretBox, SecretBoxError, secretAad } from '../../src/security/secret-box.ts';
import { SecretsService } from '../../src/security/secrets.ts';
import { loadServerKey, ServerKeyError } from '../../src/security/server-key.ts';
import { openSqliteStore } from '../../src/store/sqlite/open.ts';
import { makeTempDir } from '../support/server.ts';

const dirs: string[] = [];
const tmp = () => {
  const d = makeTempDir('stint-key-');
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('seal/open round-trips any text; the ciphertext hides it and differs each time', () => {
  const box = new SecretBox(randomBytes(32));
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.string(), (value, aad) => {
      const a = box.seal(value, aad);
      const b = box.seal(value, aad);
      assert.equal(box.open(a, aad), value);
      assert.notEqual(a, b);
      if (value.length >= 4)
        assert.ok(!a.includes(value) && !a.includes(Buffer.from(value).toString('base64url')));
    }),
    { numRuns: 200 },
  );
});

test('a ciphertext does not open under other associated data, another key, or after tampering', () => {
  const key = randomBytes(32);
  const box = new SecretBox(key);
  const sealed = box.seal('hunter2-secret', secretAad('t1', '', 'TOKEN'));
  assert.throws(() => box.open(sealed, secretAad('t2', '', 'TOKEN')), SecretBoxError);
  assert.throws(() => box.open(sealed, secretAad('t1', 'github/a/b', 'TOKEN')), SecretBoxError);
  assert.throws(() => box.open(sealed, secretAad('t1', '', 'OTHER')), SecretBoxError);
  assert.throws(
    () => new SecretBox(randomBytes(32)).open(sealed, secretAad('t1', '', 'TOKEN')),
    SecretBoxError,
  );
  const parts = sealed.split('.');
  const body = Buffer.from(parts[3]!, 'base64url');
  body[0]! ^= 1;
  parts[3] = body.toString('base64url');
  assert.throws(() => box.open(parts.join('.'), secretAad('t1', '', 'TOKEN')), SecretBoxError);
  assert.throws(() => box.open('v2.x.y.z', ''), SecretBoxError);
  assert.throws(() => box.open('garbage', ''), SecretBoxError);
  assert.throws(() => new SecretBox(randomBytes(16)), /32 bytes/);
  assert.equal(new SecretBox(key).fingerprint(), box.fingerprint());
  assert.notEqual(new SecretBox(randomBytes(32)).fingerprint(), box.fingerprint());
});

test('the key file is generated once with mode 0600 and reused', () => {
  const dir = tmp();
  const first = loadServerKey({ dataDir: dir });
  assert.equal(first.created, true);
  const file = join(dir, 'secret.key');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const again = loadServerKey({ dataDir: dir });
  assert.equal(again.created, false);
  assert.deepEqual(again.key, first.key);
  assert.equal(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64').length, 32);
});

test('a key file readable by others, a missing explicit file or a malformed key is refused', () => {
  const dir = tmp();
  loadServerKey({ dataDir: dir });
  chmodSync(join(dir, 'secret.key'), 0o644);
  assert.throws(
    () => loadServerKey({ dataDir: dir }),
    (e: Error) => e instanceof ServerKeyError && /chmod 600/.test(e.message),
  );
  assert.throws(() => loadServerKey({ dataDir: dir, keyFile: join(dir, 'missing.key') }), ServerKeyError);
  const bad = join(dir, 'bad.key');
  writeFileSync(bad, 'not a key', { mode: 0o600 });
  assert.throws(() => loadServerKey({ dataDir: dir, keyFile: bad }), /32-byte key/);
  const hex = randomBytes(32);
  assert.deepEqual(loadServerKey({ dataDir: dir, keyText: hex.toString('hex') }).key, hex);
  assert.deepEqual(loadServerKey({ dataDir: dir, keyText: hex.toString('base64') }).key, hex);
  assert.throws(() => loadServerKey({ dataDir: dir, keyText: 'c2hvcnQ=' }), ServerKeyError);
});

test('a store opened with a different server key is refused; with its own, secrets round-trip', async () => {
  const dir = tmp();
  const store = await openSqliteStore({ dataDir: dir });
  try {
    const key = randomBytes(32);
    const secrets = await SecretsService.open(store, key);
    await store.security.createTenant({ id: 'acme', name: 'acme' });
    await secrets.set('acme', '', 'API_TOKEN', 'value-123456');
    const raw = JSON.stringify(await store.security.listSecrets('acme'));
    assert.ok(!raw.includes('value-123456'));
    assert.deepEqual(await (await SecretsService.open(store, key)).forSession('acme', undefined), {
      API_TOKEN: 'value-123456',
    });
    await assert.rejects(SecretsService.open(store, randomBytes(32)), /different server key/);
    await assert.rejects(secrets.set('acme', '', 'LD_PRELOAD', 'x-123456'), /reserved/);
    await assert.rejects(secrets.set('acme', '', '1BAD', 'x-123456'), /environment variable name/);
    await assert.rejects(secrets.set('nobody', '', 'OK', 'x-123456'), /Tenant 'nobody' was not found/);
    await assert.rejects(secrets.set('acme', 'github/a/b', 'OK', 'x-123456'), /was not found/);
  } finally {
    await store.close();
  }
});
