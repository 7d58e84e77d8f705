import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OutputBuffer, utf8Boundary } from '../../src/sandbox/output-buffer.ts';

test('utf8Boundary never ends inside a multi-byte character', () => {
  const s = Buffer.from('a€😀');
  assert.equal(utf8Boundary(s), s.length);
  assert.equal(utf8Boundary(s.subarray(0, 6)), 4); // '😀' incomplete
  assert.equal(utf8Boundary(s.subarray(0, 3)), 1); // '€' incomplete
  assert.equal(utf8Boundary(s.subarray(0, 4)), 4);
  assert.equal(utf8Boundary(Buffer.alloc(0)), 0);
});

test('OutputBuffer keeps the first bytes and counts the rest', () => {
  const b = new OutputBuffer(5);
  b.push(Buffer.from('abc'));
  b.push(Buffer.from('defgh'));
  b.push(Buffer.from('ij'));
  assert.equal(b.totalBytes, 10);
  assert.equal(b.text(), 'abcde\n[output truncated: 5 bytes omitted]');
  const none = new OutputBuffer(0);
  none.push(Buffer.from('x'));
  assert.equal(none.text(), '\n[output truncated: 1 bytes omitted]');
});
