/** The allowlist's host patterns: exact names, `*.` suffixes, IP literals; case-insensitive; strict. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  endsInNumber,
  hostAllowed,
  normalizeRequestHost,
  parseHostPattern,
  parseHostPatterns,
} from '../../../src/sandbox/network/host-patterns.ts';

const allow = (patterns: string[], host: string) => hostAllowed(host, parseHostPatterns(patterns));

test('exact names match themselves only, whatever the case or a trailing dot', () => {
  assert.ok(allow(['registry.npmjs.org'], 'registry.npmjs.org'));
  assert.ok(allow(['registry.npmjs.org'], 'Registry.NPMJS.org'));
  assert.ok(allow(['REGISTRY.npmjs.org.'], 'registry.npmjs.org.'));
  assert.ok(!allow(['registry.npmjs.org'], 'npmjs.org'));
  assert.ok(!allow(['registry.npmjs.org'], 'evil.registry.npmjs.org'));
  assert.ok(!allow(['registry.npmjs.org'], 'registry.npmjs.org.evil.com'));
  assert.ok(!allow(['registry.npmjs.org'], 'registry-npmjs.org'));
});

test('*. patterns match names below the suffix, at any depth, but not the suffix itself', () => {
  assert.ok(allow(['*.pypi.org'], 'files.pypi.org'));
  assert.ok(allow(['*.pypi.org'], 'a.b.PYPI.org'));
  assert.ok(!allow(['*.pypi.org'], 'pypi.org'));
  assert.ok(!allow(['*.pypi.org'], 'evilpypi.org'));
  assert.ok(!allow(['*.pypi.org'], 'pypi.org.evil.com'));
  assert.ok(allow(['*.pypi.org', 'pypi.org'], 'pypi.org'));
});

test('IP literals match only the same address, never a name pattern', () => {
  assert.ok(allow(['10.0.0.5'], '10.0.0.5'));
  assert.ok(allow(['fd00::1'], '[FD00:0:0::1]'));
  assert.ok(allow(['[fd00::1]'], 'fd00::1'));
  assert.ok(!allow(['10.0.0.5'], '10.0.0.6'));
  assert.ok(!allow(['*.example.com'], '93.184.216.34'));
  assert.ok(!allow(['example.com'], '::ffff:93.184.216.34'));
  // Forms of an address that are not literals are no host at all: refused, never matched.
  for (const odd of ['0x7f.1', '2130706433', '127.1', '010.0.0.1', 'a.0x10', 'example.123']) {
    assert.equal(normalizeRequestHost(odd), undefined, odd);
    assert.ok(!allow(['127.0.0.1', '10.0.0.1'], odd), odd);
  }
});

test('bad patterns are refused with a message naming the field', () => {
  for (const bad of [
    '',
    '*',
    '*.com',
    '*.',
    'a.*.com',
    '*example.com',
    'exa mple.com',
    'a..b',
    '-a.com',
    'http://x.com',
    'x.com:443',
    '*.10.0.0.1',
    '1.2.3',
    `${'a'.repeat(64)}.com`,
  ]) {
    assert.throws(
      () => parseHostPattern(bad, 'config.allowHosts'),
      /config\.allowHosts: .* is not a host pattern/,
      bad,
    );
  }
});

test('unicode names compare in their punycode form', () => {
  assert.equal(parseHostPattern('BÜCHER.example').text, 'xn--bcher-kva.example');
  assert.ok(allow(['*.bücher.example'], 'www.xn--bcher-kva.example'));
});

test('parseHostPatterns normalizes and deduplicates', () => {
  assert.deepEqual(
    parseHostPatterns(['A.com', 'a.com.', '*.B.com', '10.0.0.1']).map((p) => p.text),
    ['a.com', '*.b.com', '10.0.0.1'],
  );
});

// Property: a host is allowed exactly when it equals an exact pattern or ends with `.suffix` of a
// `*.suffix` pattern (compared in lower case) — checked against a direct restatement.
const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?$/);
const name = fc.array(label, { minLength: 2, maxLength: 4 }).map((ls) => ls.join('.'));
const upper = (s: string, mask: boolean[]) =>
  [...s].map((c, i) => (mask[i % mask.length] ? c.toUpperCase() : c)).join('');

test('property: matching is exact-or-subdomain-of-suffix, case-insensitively', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.boolean(), name), { maxLength: 4 }),
      name,
      fc.array(label, { maxLength: 2 }),
      fc.nat(),
      fc.array(fc.boolean(), { minLength: 1, maxLength: 16 }),
      (raw, base, prefix, pick, mask) => {
        const patterns = raw.map(([wild, n]) => (wild ? `*.${n}` : n)).filter((p) => !endsInNumber(p));
        // Half the time the host is built from one of the patterns, so that matches are common.
        const from = patterns.length > 0 && pick % 2 === 0 ? patterns[pick % patterns.length]! : base;
        const host = [...prefix, from.replace(/^\*\./, '')].join('.');
        if (endsInNumber(host)) return;
        const expected = patterns.some((p) => (p.startsWith('*.') ? host.endsWith(p.slice(1)) : host === p));
        const parsed = parseHostPatterns(patterns.map((p) => upper(p, mask.toReversed())));
        assert.equal(hostAllowed(upper(host, mask), parsed), expected, `${host} vs ${patterns}`);
      },
    ),
    { numRuns: 1000 },
  );
});

test('property: nothing matches an empty allowlist, and a pattern never matches its own suffix parent', () => {
  fc.assert(
    fc.property(name, label, (n, l) => {
      assert.equal(hostAllowed(n, []), false);
      if (endsInNumber(n)) return;
      assert.equal(hostAllowed(n, parseHostPatterns([`*.${n}`])), false);
      assert.equal(hostAllowed(`${l}.${n}`, parseHostPatterns([`*.${n}`])), true);
      assert.equal(hostAllowed(`${l}${n}`, parseHostPatterns([`*.${n}`])), false);
    }),
    { numRuns: 500 },
  );
});
