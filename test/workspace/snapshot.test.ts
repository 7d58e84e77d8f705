import assert from 'node:assert/strict';
import { chmod, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { prepareCheckout, readBaseMarker } from '../../src/workspace/checkout.ts';
import { commitTreeId, restoreSnapshot, snapshotPatch, workingTreeId } from '../../src/workspace/snapshot.ts';
import { BINARY_V1, createRemote, git, makeTempDir, type Remote, writeFiles } from './helpers.ts';

describe('workspace snapshots', () => {
  let tmp: { path: string; cleanup(): Promise<void> };
  let remote: Remote;
  before(async () => {
    tmp = await makeTempDir();
    remote = await createRemote(join(tmp.path, 'remote'));
  });
  after(() => tmp.cleanup());

  const fromSource = async (dir: string) =>
    (await prepareCheckout({ dir, gitUrl: remote.url, branch: 'main' })).baseCommitId;

  async function edited(name: string): Promise<{ dir: string; shadow: string; base: string }> {
    const dir = join(tmp.path, name);
    const { baseCommitId } = await prepareCheckout({ dir, gitUrl: remote.url, branch: 'main' });
    await writeFiles(dir, {
      'README.md': '# Demo\n\nHello, edited.\r\n',
      'new/dir/file.txt': 'brand new\n',
      'image.bin': Buffer.concat([BINARY_V1, Buffer.from([0, 1, 2, 0xfe])]),
      'latin1.txt': Buffer.from('d\xe9j\xe0 vu\n', 'latin1'),
      'debug.log': 'ignored by .gitignore\n',
      '.gitattributes': '* text=auto eol=crlf\n',
    });
    await rm(join(dir, 'doomed.txt'));
    await chmod(join(dir, 'script.sh'), 0o755);
    return { dir, shadow: join(tmp.path, `${name}.shadow`), base: baseCommitId };
  }

  test('the tree id is the base tree until something changes, and stable while nothing does', async () => {
    const dir = join(tmp.path, 'clean');
    const shadow = join(tmp.path, 'clean.shadow');
    const { baseCommitId } = await prepareCheckout({ dir, gitUrl: remote.url, branch: 'main' });
    const baseTree = await commitTreeId(dir, shadow, baseCommitId);
    assert.equal(await workingTreeId(dir, shadow, baseCommitId), baseTree);
    await writeFile(join(dir, 'x.txt'), 'x\n');
    const changed = await workingTreeId(dir, shadow, baseCommitId);
    assert.notEqual(changed, baseTree);
    assert.equal(await workingTreeId(dir, shadow, baseCommitId), changed);
    await rm(join(dir, 'x.txt'));
    assert.equal(await workingTreeId(dir, shadow, baseCommitId), baseTree);
  });

  test('a snapshot rebuilds the exact working tree in a fresh clone elsewhere', async () => {
    const a = await edited('a');
    const treeId = await workingTreeId(a.dir, a.shadow, a.base);
    const patch = await snapshotPatch(a.dir, a.shadow, a.base);
    assert.match(patch, /^diff --git /);
    assert.ok(/^[\x20-\x7e\n\t]*$/.test(patch), 'the patch is ASCII');

    const b = join(tmp.path, 'b');
    const restored = await restoreSnapshot({
      dir: b,
      shadowDir: join(tmp.path, 'b.shadow'),
      prepare: () => fromSource(b),
      remote: { url: remote.url, env: {} },
      snapshot: { baseCommitId: a.base, treeId, patch },
    });
    assert.deepEqual(restored, { baseCommitId: a.base, treeId });
    for (const f of ['README.md', 'new/dir/file.txt', 'image.bin', 'latin1.txt', '.gitattributes']) {
      assert.deepEqual(await readFile(join(b, f)), await readFile(join(a.dir, f)), f);
    }
    await assert.rejects(stat(join(b, 'doomed.txt')), { code: 'ENOENT' });
    await assert.rejects(stat(join(b, 'debug.log')), { code: 'ENOENT' }, 'ignored files are not carried');
    assert.equal((await stat(join(b, 'script.sh'))).mode & 0o111, 0o111);
  });

  test('a source branch that moved on is put back to the snapshot base', async () => {
    const a = await edited('moved');
    const treeId = await workingTreeId(a.dir, a.shadow, a.base);
    const patch = await snapshotPatch(a.dir, a.shadow, a.base);
    // Someone pushes to main after the session started.
    await git(remote.url, 'update-ref', 'refs/heads/main', remote.featureCommit);
    try {
      const b = join(tmp.path, 'moved-b');
      const restored = await restoreSnapshot({
        dir: b,
        shadowDir: join(tmp.path, 'moved-b.shadow'),
        prepare: () => fromSource(b),
        remote: { url: remote.url, env: {} },
        snapshot: { baseCommitId: a.base, treeId, patch },
      });
      assert.deepEqual(restored, { baseCommitId: a.base, treeId });
      assert.equal(await readBaseMarker(b), a.base);
      assert.equal(await git(b, 'rev-parse', 'HEAD'), a.base);
      await assert.rejects(stat(join(b, 'FEATURE.md')), { code: 'ENOENT' });
    } finally {
      await git(remote.url, 'update-ref', 'refs/heads/main', remote.mainCommit);
    }
  });

  test('a repoless session is rebuilt in a new empty repository', async () => {
    const dir = join(tmp.path, 'scratch');
    const shadow = join(tmp.path, 'scratch.shadow');
    const { baseCommitId } = await prepareCheckout({ dir });
    await writeFiles(dir, { 'hello.txt': 'hi\n', 'bin/blob': BINARY_V1 });
    const treeId = await workingTreeId(dir, shadow, baseCommitId);
    const patch = await snapshotPatch(dir, shadow, baseCommitId);
    const b = join(tmp.path, 'scratch-b');
    const restored = await restoreSnapshot({
      dir: b,
      shadowDir: join(tmp.path, 'scratch-b.shadow'),
      prepare: async () => (await prepareCheckout({ dir: b })).baseCommitId,
      snapshot: { baseCommitId, treeId, patch },
    });
    assert.equal(restored.treeId, treeId);
    assert.equal(await readFile(join(b, 'hello.txt'), 'utf8'), 'hi\n');
    assert.deepEqual(await readFile(join(b, 'bin/blob')), BINARY_V1);
  });

  test('a base commit that no longer exists in the source is reported', async () => {
    const a = await edited('gone');
    const treeId = await workingTreeId(a.dir, a.shadow, a.base);
    await assert.rejects(
      restoreSnapshot({
        dir: join(tmp.path, 'gone-b'),
        shadowDir: join(tmp.path, 'gone-b.shadow'),
        prepare: () => fromSource(join(tmp.path, 'gone-b')),
        remote: { url: remote.url, env: {} },
        snapshot: { baseCommitId: 'f'.repeat(40), treeId, patch: '' },
      }),
      /base commit f{40} is no longer in its source repository/,
    );
  });
});
