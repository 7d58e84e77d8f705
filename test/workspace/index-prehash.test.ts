// Arming the agent's index from a hash of its body kept since the reset (index-prehash.ts) writes
// exactly what rewriting it whole writes, keeps its times, and is refused for a file changed since.
import assert from 'node:assert/strict';
import { readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fsmonitorExtension, rewriteExtensions } from '../../src/workspace/fsmonitor/index-extension.ts';
import { appendPrehashed, prehashIndex } from '../../src/workspace/fsmonitor/index-prehash.ts';
import { git, makeTempDir, writeFiles } from './helpers.ts';

test('a prehashed index is armed by writing its end only, as a whole rewrite would write it', async () => {
  const tmp = await makeTempDir();
  try {
    const dir = tmp.path;
    await git(dir, 'init', '--quiet');
    await writeFiles(dir, { 'a.txt': 'a\n', 'd/b.txt': 'b\n' });
    await git(dir, 'add', '-A');
    const index = join(dir, '.git', 'index');
    await utimes(index, 1_700_000_000, 1_700_000_000);
    const plain = await readFile(index);
    const extensions = [fsmonitorExtension('tok'), Buffer.from('UNTR\0\0\0\x02xy', 'latin1')];
    const plan = rewriteExtensions(plain, 'sha1', extensions);
    assert.ok(plan);
    const whole = Buffer.concat([...plan.keep.map(([a, b]) => plain.subarray(a, b)), plan.tail]);

    await prehashIndex(index, 'sha1');
    assert.equal(await appendPrehashed(index, extensions, 'sha1'), true);
    assert.deepEqual(await readFile(index), whole);
    assert.equal((await stat(index)).mtimeMs, 1_700_000_000_000, 'its time kept');
    assert.equal(await git(dir, 'status', '--porcelain'), 'A  a.txt\nA  d/b.txt', 'git reads it');
    // Once only: the hash kept was for the file as it was.
    assert.equal(await appendPrehashed(index, extensions, 'sha1'), false);

    // Written since it was hashed (same size, same time): not found.
    await writeFile(index, plain);
    await prehashIndex(index, 'sha1');
    const changed = Buffer.from(plain);
    changed[12 + 40] = changed[12 + 40]! ^ 1;
    await writeFile(index, changed);
    await utimes(index, 1_700_000_000, 1_700_000_000);
    assert.equal(await appendPrehashed(index, extensions, 'sha1'), false);
    // An index already holding an extension that arming replaces is not prehashed.
    await writeFile(index, whole);
    await prehashIndex(index, 'sha1');
    assert.equal(await appendPrehashed(index, extensions, 'sha1'), false);
  } finally {
    await tmp.cleanup();
  }
});
