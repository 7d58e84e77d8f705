'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { slugify } = require('../src/slugify');

test('lower-cases single words', () => {
  assert.equal(slugify('Hello'), 'hello');
});

test('drops accents', () => {
  assert.equal(slugify('Café'), 'cafe');
});
