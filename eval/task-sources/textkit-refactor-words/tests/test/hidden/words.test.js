'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { splitWords } = require('../../src/words');

test('splitWords returns the words', () => {
  assert.deepEqual(splitWords('  a  b\tc\n'), ['a', 'b', 'c']);
  assert.deepEqual(splitWords('   '), []);
});

test('both modules use it instead of their own split', () => {
  for (const file of ['wordcount.js', 'capitalize.js']) {
    const src = fs.readFileSync(path.join(__dirname, '..', '..', 'src', file), 'utf8');
    assert.match(src, /require\('\.\/words'\)/, file);
    assert.doesNotMatch(src, /\.split\(/, file);
  }
});
