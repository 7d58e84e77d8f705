/** The rate limiter on its own, with a fake clock. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StintError } from '../../src/domain/errors.ts';
import { RateLimiter } from '../../src/security/rate-limiter.ts';
import type { SecurityStore } from '../../src/store/security-store.ts';

function fakeStore(limits: Record<string, { key: number | null; tenant: number | null }>): SecurityStore {
  return {
    rateLimits: async (keyId: string) => limits[keyId] ?? { key: null, tenant: null },
  } as unknown as SecurityStore;
}

const who = (keyId: string, tenantId = 't') => ({ keyId, tenantId, role: 'member' as const });

async function status(p: Promise<void>): Promise<number | StintError> {
  try {
    await p;
    return 200;
  } catch (e) {
    return e as StintError;
  }
}

test('off by default: no limits, no refusals', async () => {
  const limiter = new RateLimiter(fakeStore({}), { perKey: 0, perTenant: 0 });
  for (let i = 0; i < 1000; i++) await limiter.check(who('k'));
});

test('per key: a minute of allowance, then 429 with Retry-After until it refills', async () => {
  let now = 1_000_000;
  const limiter = new RateLimiter(fakeStore({}), { perKey: 3, perTenant: 0 }, { now: () => now });
  for (let i = 0; i < 3; i++) await limiter.check(who('k'));
  const refused = await status(limiter.check(who('k')));
  assert.ok(refused instanceof StintError);
  assert.equal(refused.status, 'RESOURCE_EXHAUSTED');
  assert.equal(refused.httpStatus, 429);
  assert.equal(refused.retryAfter, 20); // one request per 20 s at 3/min
  assert.match(refused.message, /API key/);
  await limiter.check(who('other-key')); // other keys are unaffected
  now += 19_000;
  assert.ok((await status(limiter.check(who('k')))) instanceof StintError);
  now += 1_000;
  await limiter.check(who('k'));
  assert.ok((await status(limiter.check(who('k')))) instanceof StintError, 'a refused request takes nothing');
});

test("per tenant: all of a tenant's keys share its allowance; a key's own limit also applies", async () => {
  const now = 5_000_000;
  const store = fakeStore({ special: { key: 1, tenant: null }, free: { key: 0, tenant: 0 } });
  const limiter = new RateLimiter(store, { perKey: 0, perTenant: 4 }, { now: () => now });
  await limiter.check(who('a'));
  await limiter.check(who('b'));
  await limiter.check(who('a'));
  await limiter.check(who('c'));
  const refused = await status(limiter.check(who('b')));
  assert.ok(refused instanceof StintError && /tenant/.test(refused.message));
  await limiter.check(who('a', 'another-tenant'));
  await limiter.check(who('special', 'x'));
  assert.ok((await status(limiter.check(who('special', 'x')))) instanceof StintError);
  for (let i = 0; i < 50; i++) await limiter.check(who('free', 'y')); // explicit 0: unlimited
});
