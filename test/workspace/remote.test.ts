import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { GitError } from '../../src/workspace/git.ts';
import { listRemoteBranches, parseLsRemote } from '../../src/workspace/remote.ts';
import { createRemote, git, makeTempDir, type Remote } from './helpers.ts';

let tmp: { path: string; cleanup(): Promise<void> };
let remote: Remote;

before(async () => {
  tmp = await makeTempDir();
  remote = await createRemote(tmp.path);
});
after(() => tmp.cleanup());

test('lists branches, sorted, with the default branch', async () => {
  assert.deepEqual(await listRemoteBranches(remote.url), {
    branches: ['feature', 'main'],
    defaultBranch: 'main',
  });
  assert.deepEqual(await listRemoteBranches(`file://${remote.url}`), {
    branches: ['feature', 'main'],
    defaultBranch: 'main',
  });
});

test('follows the remote HEAD', async () => {
  await git(remote.url, 'symbolic-ref', 'HEAD', 'refs/heads/feature');
  try {
    assert.equal((await listRemoteBranches(remote.url)).defaultBranch, 'feature');
  } finally {
    await git(remote.url, 'symbolic-ref', 'HEAD', 'refs/heads/main');
  }
});

test('an empty remote has no branches and no default', async () => {
  const empty = join(tmp.path, 'empty.git');
  await git(tmp.path, 'init', '--quiet', '--bare', '--', empty);
  assert.deepEqual(await listRemoteBranches(empty), { branches: [] });
});

test('a URL that looks like an option is not taken as one', async () => {
  const pwned = join(tmp.path, 'pwned');
  await assert.rejects(listRemoteBranches(`--upload-pack=touch ${pwned}`), GitError);
  assert.equal(existsSync(pwned), false);
});

test('errors do not leak URL credentials', async () => {
  await assert.rejects(
    listRemoteBranches('http://alice:s3cr3t@127.0.0.1:1/x.git', { timeoutMs: 20_000 }),
    (err) => {
      assert.ok(err instanceof GitError);
      assert.ok(!err.message.includes('s3cr3t'), err.message);
      assert.ok(!err.stderr.includes('s3cr3t'));
      assert.ok(err.message.includes('***@127.0.0.1'), err.message);
      return true;
    },
  );
});

test('parseLsRemote ignores non-branch refs', () => {
  const out = [
    'ref: refs/heads/dev\tHEAD',
    `${'a'.repeat(40)}\tHEAD`,
    `${'b'.repeat(40)}\trefs/heads/dev`,
    `${'c'.repeat(40)}\trefs/heads/a/b`,
    `${'d'.repeat(40)}\trefs/remotes/origin/HEAD`,
    '',
  ].join('\n');
  assert.deepEqual(parseLsRemote(out), { branches: ['a/b', 'dev'], defaultBranch: 'dev' });
});
