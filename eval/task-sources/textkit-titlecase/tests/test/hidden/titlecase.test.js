'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { titleCase } = require('../../src/capitalize');
const index = require('../../src/index');

test('title case keeps small words lower-case after the first', () => {
  assert.equal(titleCase('THE lord OF the rings'), 'The Lord of the Rings');
  assert.equal(titleCase('a tale  of two cities'), 'A Tale of Two Cities');
  assert.equal(index.titleCase('on the road'), 'On the Road');
});
