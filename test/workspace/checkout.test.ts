import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  BASE_MARKER,
  prepareCheckout,
  readBaseMarker,
  removeCheckout,
} from '../../src/workspace/checkout.ts';
import { GitError } from '../../src/workspace/git.ts';
import { createRemote, git, makeTempDir, type Remote } from './helpers.ts';

let tmp: { path: string; cleanup(): Promise<void> };
let remote: Remote;

before(async () => {
  tmp = await makeTempDir();
  remote = await createRemote(tmp.path);
});
after(() => tmp.cleanup());

test('clones the requested branch and records its commit as the base', async () => {
  const dir = join(tmp.path, 'sessions', 's1', 'checkout');
  const { baseCommitId } = await prepareCheckout({ dir, gitUrl: remote.url, branch: 'feature' });
  assert.equal(baseCommitId, remote.featureCommit);
  assert.equal(await readFile(join(dir, 'FEATURE.md'), 'utf8'), 'feature branch only\n');
  assert.equal(await git(dir, 'rev-parse', '--abbrev-ref', 'HEAD'), 'feature');
  assert.equal(await git(dir, 'tag', '--list'), '');
  assert.equal(
    (await readFile(join(dir, '..', '.git-dirs', 'checkout', BASE_MARKER), 'utf8')).trim(),
    baseCommitId,
  );
  assert.equal(await readBaseMarker(dir), baseCommitId);
});

test('without a branch, clones the default branch', async () => {
  const dir = join(tmp.path, 'default-branch');
  assert.equal((await prepareCheckout({ dir, gitUrl: remote.url })).baseCommitId, remote.mainCommit);
  assert.equal(existsSync(join(dir, 'FEATURE.md')), false);
});

test('is idempotent: a completed checkout is returned untouched', async () => {
  const dir = join(tmp.path, 'idem');
  const first = await prepareCheckout({ dir, gitUrl: remote.url, branch: 'main' });
  await writeFile(join(dir, 'README.md'), 'agent edit\n');
  await writeFile(join(dir, 'new.txt'), 'new\n');
  const second = await prepareCheckout({ dir, gitUrl: remote.url, branch: 'main' });
  assert.deepEqual(second, first);
  assert.equal(await readFile(join(dir, 'README.md'), 'utf8'), 'agent edit\n');
  assert.equal(await readFile(join(dir, 'new.txt'), 'utf8'), 'new\n');
});

test('a directory left without the marker (crash mid-clone) is redone from scratch', async () => {
  const dir = join(tmp.path, 'crashed');
  // Simulates a half-finished clone: a .git and stray files, but no marker.
  await mkdir(join(dir, '.git'), { recursive: true });
  await writeFile(join(dir, 'partial.txt'), 'half\n');
  const { baseCommitId } = await prepareCheckout({ dir, gitUrl: remote.url, branch: 'main' });
  assert.equal(baseCommitId, remote.mainCommit);
  assert.equal(existsSync(join(dir, 'partial.txt')), false);
  assert.equal(await git(dir, 'status', '--porcelain'), '');

  // And a complete checkout whose marker is removed is redone as well.
  await writeFile(join(dir, 'README.md'), 'edited\n');
  await rm(join(dir, '..', '.git-dirs', 'crashed', BASE_MARKER));
  await prepareCheckout({ dir, gitUrl: remote.url, branch: 'main' });
  assert.equal(await readFile(join(dir, 'README.md'), 'utf8'), '# Demo\n\nHello.\n');
});

test('refuses unsafe branch names before doing anything', async () => {
  const dir = join(tmp.path, 'unsafe');
  for (const branch of ['--upload-pack=touch /tmp/pwned', '../x', 'a..b', '-b']) {
    await assert.rejects(prepareCheckout({ dir, gitUrl: remote.url, branch }), /unsafe branch name/);
  }
  assert.equal(existsSync(dir), false);
});

test('a missing branch fails cleanly and leaves nothing behind', async () => {
  const dir = join(tmp.path, 'missing-branch');
  await assert.rejects(prepareCheckout({ dir, gitUrl: remote.url, branch: 'nope' }), (err) => {
    assert.ok(err instanceof GitError);
    assert.match(err.message, /nope/);
    return true;
  });
  assert.equal(existsSync(dir), false);
});

test('repoless: an empty repository with one empty commit as base', async () => {
  const dir = join(tmp.path, 'repoless');
  const { baseCommitId } = await prepareCheckout({ dir });
  assert.match(baseCommitId, /^[0-9a-f]{40}$/);
  assert.equal(await git(dir, 'rev-parse', 'HEAD^{tree}'), '4b825dc642cb6eb9a060e54bf8d69288fbee4904');
  assert.equal(await git(dir, 'rev-parse', '--abbrev-ref', 'HEAD'), 'main');
  assert.deepEqual(await prepareCheckout({ dir }), { baseCommitId });
});

test('rejects relative or root-level checkout directories', async () => {
  await assert.rejects(prepareCheckout({ dir: 'relative/dir' }), /absolute path/);
  await assert.rejects(prepareCheckout({ dir: '/' }), /too close to/);
  await assert.rejects(prepareCheckout({ dir: '/tmp' }), /too close to/);
});

test('removeCheckout deletes the checkout, even read-only parts, and tolerates a missing dir', async () => {
  const dir = join(tmp.path, 'to-remove');
  await prepareCheckout({ dir, gitUrl: remote.url });
  await mkdir(join(dir, 'locked', 'inner'), { recursive: true });
  await writeFile(join(dir, 'locked', 'inner', 'f'), 'x');
  await chmod(join(dir, 'locked', 'inner'), 0o500);
  await chmod(join(dir, 'locked'), 0o500);
  await removeCheckout(dir);
  assert.equal(existsSync(dir), false);
  await removeCheckout(dir);
});

test('credentials in the clone URL are not left where the agent can read them', async () => {
  // Serve the bare remote over "dumb" HTTP so that the clone URL can carry userinfo.
  await git(remote.url, 'update-server-info');
  const server = createServer((req, res) => {
    const path = join(tmp.path, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    readFile(path).then(
      (body) => res.end(body),
      () => {
        res.statusCode = 404;
        res.end();
      },
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const { port } = server.address() as AddressInfo;
    const dir = join(tmp.path, 'with-creds');
    const { baseCommitId } = await prepareCheckout({
      dir,
      gitUrl: `http://bob:tok-SECRET-123@127.0.0.1:${port}/remote.git`,
      branch: 'main',
    });
    assert.equal(baseCommitId, remote.mainCommit);
    assert.equal(await git(dir, 'remote', 'get-url', 'origin'), `http://127.0.0.1:${port}/remote.git`);
    const gitFiles = await readdir(join(dir, '.git'), { recursive: true, withFileTypes: true });
    for (const f of gitFiles.filter((e) => e.isFile())) {
      const content = await readFile(join(f.parentPath, f.name), 'latin1');
      assert.ok(!content.includes('tok-SECRET-123'), `secret found in ${join(f.parentPath, f.name)}`);
    }
  } finally {
    server.close();
  }
});
