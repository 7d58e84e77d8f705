/**
 * Where the allowlist proxy may connect, as functions (no sockets, an injected resolver): the
 * webhooks' address filter decides, private ranges only with the operator's opt-in, and a name is
 * refused when any address it resolves to is.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AddressRefused,
  type Resolver,
  resolveAllowed,
  sandboxAddressRefusal,
} from '../../../src/sandbox/network/address-policy.ts';
import { parseAllowlist } from '../../../src/webhooks/address-filter.ts';

const fixed =
  (table: Record<string, string[]>): Resolver =>
  async (host) =>
    (table[host] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

test('public addresses pass; loopback, private, link-local and the metadata service do not', () => {
  for (const ok of ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946', '8.8.8.8']) {
    assert.equal(sandboxAddressRefusal(ok, []), undefined, ok);
  }
  const refused: Record<string, string> = {
    '127.0.0.1': 'loopback',
    '::1': 'loopback',
    '::ffff:127.0.0.1': 'loopback',
    '10.1.2.3': 'private',
    '192.168.0.10': 'private',
    'fd00::1': 'private',
    '169.254.169.254': 'link-local',
    '0.0.0.0': 'unspecified',
    '224.0.0.1': 'multicast',
  };
  for (const [address, kind] of Object.entries(refused)) {
    const why = sandboxAddressRefusal(address, []);
    assert.ok(why?.includes(`a ${kind} address`), `${address}: ${why}`);
    assert.match(why!, /STINT_SANDBOX_ALLOW_PRIVATE/);
  }
  assert.match(sandboxAddressRefusal('not-an-ip', [])!, /not an IP address/);
});

test('STINT_SANDBOX_ALLOW_PRIVATE lets exactly its ranges through', () => {
  const allow = parseAllowlist('127.0.0.0/8,10.0.0.0/16');
  assert.equal(sandboxAddressRefusal('127.0.0.1', allow), undefined);
  assert.equal(sandboxAddressRefusal('::ffff:127.0.0.1', allow), undefined);
  assert.equal(sandboxAddressRefusal('10.0.200.1', allow), undefined);
  assert.ok(sandboxAddressRefusal('10.1.0.1', allow));
  assert.ok(sandboxAddressRefusal('::1', allow));
  assert.ok(sandboxAddressRefusal('169.254.169.254', allow));
});

test('a name is refused when any of its addresses is, and pinned to a checked one otherwise', async () => {
  const resolver = fixed({
    'public.test': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
    'mixed.test': ['93.184.216.34', '10.0.0.1'],
    'local.test': ['127.0.0.1'],
  });
  assert.deepEqual(await resolveAllowed('public.test', { allowPrivate: [], resolver }), {
    address: '93.184.216.34',
    family: 4,
  });
  await assert.rejects(resolveAllowed('mixed.test', { allowPrivate: [], resolver }), (e: Error) => {
    assert.ok(e instanceof AddressRefused);
    assert.match(e.message, /mixed\.test resolves to 10\.0\.0\.1, a private address/);
    return true;
  });
  await assert.rejects(resolveAllowed('local.test', { allowPrivate: [], resolver }), AddressRefused);
  const optIn = { allowPrivate: parseAllowlist('127.0.0.0/8'), resolver };
  assert.equal((await resolveAllowed('local.test', optIn)).address, '127.0.0.1');
  // An IP literal is checked as it is, never resolved.
  await assert.rejects(resolveAllowed('169.254.169.254', optIn), AddressRefused);
  // No address at all is an error, not a pass.
  await assert.rejects(resolveAllowed('nowhere.test', optIn), /resolves to no address/);
});
