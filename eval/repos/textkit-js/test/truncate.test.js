'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { truncate } = require('../src/truncate');

test('leaves short text alone', () => {
  assert.equal(truncate('short', 10), 'short');
});

test('marks cut text', () => {
  assert.ok(truncate('a long sentence here', 10).endsWith('...'));
});
