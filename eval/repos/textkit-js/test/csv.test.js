'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { parseCsvLine } = require('../src/csv');

test('splits plain fields', () => {
  assert.deepEqual(parseCsvLine('a,b,c'), ['a', 'b', 'c']);
});

test('keeps empty fields', () => {
  assert.deepEqual(parseCsvLine('a,,c'), ['a', '', 'c']);
});
