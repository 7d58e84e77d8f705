'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { truncate } = require('../../src/truncate');

test('the ellipsis counts towards the limit', () => {
  assert.equal(truncate('abcdefghij', 6), 'abc...');
  assert.equal(truncate('abcdefghij', 10), 'abcdefghij');
  assert.equal(truncate('abcdefghij', 3), 'abc');
  for (let max = 0; max < 12; max++) assert.ok(truncate('abcdefghij', max).length <= max);
});
