'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { parseCsvLine } = require('../../src/csv');

test('quoted fields keep commas and doubled quotes', () => {
  assert.deepEqual(parseCsvLine('a,"b,c",d'), ['a', 'b,c', 'd']);
  assert.deepEqual(parseCsvLine('"say ""hi""",x'), ['say "hi"', 'x']);
  assert.deepEqual(parseCsvLine('"",,'), ['', '', '']);
});
