import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { formatTimestamp, nextActivityTime, nowMicros, parseTimestamp } from '../../src/domain/time.ts';

test('timestamps have exactly six fractional digits and Z', () => {
  assert.equal(formatTimestamp(1_795_000_000_123_456), '2026-11-18T11:06:40.123456Z');
  assert.equal(formatTimestamp(1_795_000_000_000_001), '2026-11-18T11:06:40.000001Z');
  assert.match(formatTimestamp(nowMicros()), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
});

test('format and parse round-trip at microsecond precision', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 4_102_444_800_000_000 }), (us) => {
      assert.equal(parseTimestamp(formatTimestamp(us)), us);
    }),
  );
});

test('parse accepts RFC 3339 variants and rejects junk', () => {
  assert.equal(parseTimestamp('2026-11-24T16:20:03Z'), Date.parse('2026-11-24T16:20:03Z') * 1000);
  assert.equal(parseTimestamp('2026-11-24T16:20:03.5Z'), Date.parse('2026-11-24T16:20:03Z') * 1000 + 500_000);
  assert.equal(
    parseTimestamp('2026-11-24T17:20:03.123456789+01:00'),
    Date.parse('2026-11-24T16:20:03Z') * 1000 + 123_456,
  );
  for (const bad of ['', 'yesterday', '2026-11-24', '2026-13-40T99:99:99Z', '2026-11-24T16:20:03.Z']) {
    assert.equal(parseTimestamp(bad), undefined, bad);
  }
});

test('activity times are at least 1 ms apart and never go back', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 10_000_000 }), { minLength: 1, maxLength: 50 }),
      (clock) => {
        let prev = 0;
        for (const now of clock) {
          const t = nextActivityTime(now, prev);
          assert.ok(t >= prev + 1000);
          assert.ok(t >= now);
          prev = t;
        }
      },
    ),
  );
});
