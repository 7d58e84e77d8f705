import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseNumstatZ, parseRawZ, toChangedFiles } from '../../src/workspace/change-list.ts';
import { attributePattern, pathsWithInvalidUtf8, splitPatchSections } from '../../src/workspace/non-utf8.ts';

const A = 'a'.repeat(40);
const Z = '0'.repeat(40);

test('parses --raw -z and --numstat -z, renames and binaries included', () => {
  const raw = parseRawZ(
    [
      `:000000 100644 ${Z} ${A} A`,
      'new\tfile.txt',
      `:100644 100644 ${A} ${A} R087`,
      'old name',
      'new name',
      `:100644 000000 ${A} ${Z} D`,
      'gone',
      `:100644 120000 ${A} ${A} T`,
      'link',
      '',
    ].join('\0'),
  );
  const counts = parseNumstatZ(
    ['3\t0\tnew\tfile.txt', '1\t1\t', 'old name', 'new name', '-\t-\tgone', '1\t1\tlink', ''].join('\0'),
  );
  assert.deepEqual(toChangedFiles(raw, counts), [
    { path: 'new\tfile.txt', status: 'added', additions: 3, deletions: 0, binary: false },
    { path: 'new name', oldPath: 'old name', status: 'renamed', additions: 1, deletions: 1, binary: false },
    { path: 'gone', status: 'deleted', additions: 0, deletions: 0, binary: true },
    { path: 'link', status: 'modified', additions: 1, deletions: 1, binary: false },
  ]);
  assert.throws(() => parseRawZ('garbage\0'), /Unexpected git diff --raw record/);
});

test('attributePattern anchors, escapes glob characters and C-quotes', () => {
  assert.equal(attributePattern('a.txt'), '"/a.txt"');
  assert.equal(attributePattern('dir/x y.txt'), '"/dir/x y.txt"');
  assert.equal(attributePattern('odd *[n]?.txt'), '"/odd \\\\*\\\\[n\\\\]\\\\?.txt"');
  assert.equal(attributePattern('q"\\\n'), '"/q\\"\\\\\\\\\\012"');
  assert.equal(attributePattern('#!x'), '"/#!x"');
});

test('splitPatchSections / pathsWithInvalidUtf8 map sections to entries (a type change has two)', () => {
  const patch = Buffer.concat([
    Buffer.from('diff --git a/l b/l\ndeleted file mode 100644\n-x\n'),
    Buffer.from('diff --git a/l b/l\nnew file mode 120000\n+y\n'),
    Buffer.from('diff --git a/t b/t\n+'),
    Buffer.from([0xe9, 0x0a]),
    Buffer.from('diff --git a/u b/u\n+ok diff --git not a header\n'),
  ]);
  assert.equal(splitPatchSections(patch).length, 4);
  const raw = parseRawZ(
    [
      `:100644 120000 ${A} ${A} T`,
      'l',
      `:100644 100644 ${A} ${A} M`,
      't',
      `:100644 100644 ${A} ${A} M`,
      'u',
      '',
    ].join('\0'),
  );
  assert.deepEqual(pathsWithInvalidUtf8(patch, raw), ['t']);
  // Sections that cannot be matched: every path, to be safe.
  assert.deepEqual(pathsWithInvalidUtf8(patch, raw.slice(1)), ['t', 'u']);
});
