'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { capitalize, capitalizeWords } = require('../src/capitalize');

test('capitalizes the first letter', () => {
  assert.equal(capitalize('word'), 'Word');
});

test('capitalizes every word', () => {
  assert.equal(capitalizeWords('the  quick fox'), 'The Quick Fox');
});
