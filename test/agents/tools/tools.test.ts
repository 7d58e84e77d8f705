/** The agent's file tools: confined to the checkout, exact edits, bounded listings and searches. */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { EditError, editFileInside } from '../../../src/agents/tools/edit-file.ts';
import { listFiles } from '../../../src/agents/tools/list-files.ts';
import { readTextWindow } from '../../../src/agents/tools/read-text.ts';
import { searchFiles } from '../../../src/agents/tools/search-files.ts';
import { workspaceDiff, workspaceStatus } from '../../../src/agents/tools/workspace-diff.ts';
import { checkout } from '../harness.ts';

test('read, list, search, edit and diff a checkout', async () => {
  const dir = await checkout();
  writeFileSync(join(dir, 'a.txt'), 'one\ntwo\nthree\ntwo\n');
  mkdirSync(join(dir, 'src/deep'), { recursive: true });
  mkdirSync(join(dir, 'node_modules/pkg'), { recursive: true });
  writeFileSync(join(dir, 'src/deep/b.ts'), 'export const TWO = 2;\n');
  writeFileSync(join(dir, 'node_modules/pkg/index.js'), 'two\n');
  writeFileSync(join(dir, 'bin.dat'), Buffer.from([0, 1, 2, 3]));
  symlinkSync('/etc', join(dir, 'escape'));

  assert.equal(
    await readTextWindow(dir, 'a.txt', { offset: 2, limit: 2 }),
    '     2\ttwo\n     3\tthree\n[lines 2-3 of 4; read on with offset=4]',
  );
  assert.match(await readTextWindow(dir, 'bin.dat'), /binary file \(4 bytes\)/);
  await assert.rejects(readTextWindow(dir, 'escape/passwd'), /leaves the checkout/);
  await assert.rejects(readTextWindow(dir, '.git/config'), /inside \.git/);

  const listing = await listFiles(dir, '.');
  assert.deepEqual(listing.split('\n'), [
    'a.txt',
    'bin.dat',
    'escape (symbolic link)',
    'node_modules/ (not expanded)',
    'src/',
    'src/deep/',
    'src/deep/b.ts',
  ]);
  assert.equal(
    await searchFiles(dir, 'two', { caseInsensitive: true }),
    'a.txt:2: two\na.txt:4: two\nsrc/deep/b.ts:1: export const TWO = 2;',
  );
  assert.equal(
    await searchFiles(dir, 'TWO = 2', { literal: true, path: 'src' }),
    'src/deep/b.ts:1: export const TWO = 2;',
  );
  await assert.rejects(searchFiles(dir, '('), /invalid regular expression/);

  await assert.rejects(
    editFileInside(dir, 'a.txt', 'two', '2'),
    (e: Error) => e instanceof EditError && /occurs 2 times/.test(e.message),
  );
  await assert.rejects(editFileInside(dir, 'a.txt', 'four', '4'), /was not found/);
  assert.equal((await editFileInside(dir, 'a.txt', 'two\nthree', '2\n3')).replacements, 1);
  assert.equal((await editFileInside(dir, 'a.txt', 'o', '0', true)).replacements, 2);
  assert.equal(readFileSync(join(dir, 'a.txt'), 'utf8'), '0ne\n2\n3\ntw0\n');

  const status = await workspaceStatus(dir);
  assert.match(status, /^added a.txt \(\+4 -0\)$/m);
  assert.match(status, /^added bin.dat \(binary\)$/m);
  assert.match(await workspaceDiff(dir, 'src'), /^diff --git a\/src\/deep\/b.ts b\/src\/deep\/b.ts/);
  assert.equal(await workspaceDiff(dir, 'nowhere'), 'No changes under nowhere.');
});

test('git_diff narrows to a path git has to quote', async () => {
  const dir = await checkout();
  mkdirSync(join(dir, 'dir "q"'));
  mkdirSync(join(dir, 'naïve'));
  writeFileSync(join(dir, 'dir "q"/x.txt'), 'x\n');
  writeFileSync(join(dir, 'naïve/y.txt'), 'y\n');
  const quoted = await workspaceDiff(dir, 'dir "q"');
  assert.match(quoted, /^diff --git "a\/dir \\"q\\"\/x.txt" "b\/dir \\"q\\"\/x.txt"$/m);
  assert.doesNotMatch(quoted, /y\.txt/);
  const accented = await workspaceDiff(dir, 'naïve');
  assert.match(accented, /y\.txt/);
  assert.doesNotMatch(accented, /x\.txt/);
});
