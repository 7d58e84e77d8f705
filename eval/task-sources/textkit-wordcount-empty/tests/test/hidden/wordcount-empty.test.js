'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { wordCount } = require('../../src/wordcount');

test('empty and blank text have no words', () => {
  assert.equal(wordCount(''), 0);
  assert.equal(wordCount('   \n\t'), 0);
  assert.equal(wordCount(' one '), 1);
});
