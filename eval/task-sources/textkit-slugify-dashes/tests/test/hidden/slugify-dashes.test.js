'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { slugify } = require('../../src/slugify');

test('collapses runs of separators and trims dashes', () => {
  assert.equal(slugify('Hello, World!'), 'hello-world');
  assert.equal(slugify('  --a  b--  '), 'a-b');
  assert.equal(slugify('Crème brûlée & co.'), 'creme-brulee-co');
});
