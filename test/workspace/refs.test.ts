import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSafeRefName, isSafeRelativePath } from '../../src/workspace/refs.ts';

test('isSafeRefName accepts ordinary branch names', () => {
  for (const name of ['main', 'feature/x', 'v1.2', 'release-2024_01', 'a/b/c', 'héllo', 'x@y', 'fix#12']) {
    assert.equal(isSafeRefName(name), true, name);
  }
});

test('isSafeRefName rejects what git check-ref-format rejects, and option look-alikes', () => {
  const bad = [
    '',
    '--upload-pack=touch /tmp/pwned',
    '-b',
    '../x',
    'a..b',
    '@',
    'a@{1}',
    'a b',
    'a\tb',
    'a\nb',
    'a\x7fb',
    'a~1',
    'a^',
    'a:b',
    'a?',
    'a*',
    'a[b',
    'a\\b',
    '.hidden',
    'x/.hidden',
    'x.lock',
    'x.lock/y',
    'x/',
    'x.',
    '/x',
    'a//b',
    'x'.repeat(256),
  ];
  for (const name of bad) assert.equal(isSafeRefName(name), false, JSON.stringify(name));
  assert.equal(isSafeRefName('x'.repeat(255)), true);
});

test('isSafeRelativePath', () => {
  for (const p of [
    'a.txt',
    'src/app.ts',
    './x',
    'a/b/../../c'.replace('../../', ''),
    'dir with space/f',
    '.github/x',
  ]) {
    assert.equal(isSafeRelativePath(p), true, p);
  }
  for (const p of [
    '',
    '/etc/passwd',
    '../x',
    'a/../../x',
    'a/..',
    'a\0b',
    '.git/config',
    'sub/.git/hooks',
    '.GIT/x',
    'a\\..\\b',
    'C:/x',
  ]) {
    assert.equal(isSafeRelativePath(p), false, JSON.stringify(p));
  }
});
