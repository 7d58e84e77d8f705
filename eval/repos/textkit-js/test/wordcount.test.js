'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { wordCount, wordFrequencies } = require('../src/wordcount');

test('counts words separated by any space', () => {
  assert.equal(wordCount('one two\tthree\nfour'), 4);
});

test('frequencies ignore case', () => {
  assert.deepEqual([...wordFrequencies('a B b')], [['a', 1], ['b', 2]]);
});
