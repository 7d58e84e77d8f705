/**
 * Credentials reach git only through its environment (a credential helper reading env vars), never
 * its argv, where any user of the machine sees them (`ps`), on every git call: clone from a URL with
 * userinfo, and the fetch of a resumed session's base commit on another worker, which must also
 * work at all on a private repository. The remote is a git smart-HTTP server on 127.0.0.1 that
 * refuses requests without the token; a `git` shim records the argv of every git spawned.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { GitProvider } from '../../src/sources/git/git-provider.ts';
import { prepareCheckout } from '../../src/workspace/checkout.ts';
import { credentialEnv } from '../../src/workspace/git-auth.ts';
import { restoreSnapshot, snapshotPatch, workingTreeId } from '../../src/workspace/snapshot.ts';
import {
  type AuthGitServer,
  type GitArgvRecorder,
  recordGitArgv,
  startAuthGitServer,
} from '../support/git-http.ts';
import { createRemote, git, makeTempDir, type Remote, writeFiles } from '../workspace/helpers.ts';

const TOKEN = `ghp_${randomBytes(12).toString('hex')}`;
const creds = { username: 'x-access-token', password: TOKEN };
let tmp: { path: string; cleanup(): Promise<void> };
let remote: Remote;
let server: AuthGitServer;
let argv: GitArgvRecorder;
let repoPath: string;

before(async () => {
  tmp = await makeTempDir();
  remote = await createRemote(join(tmp.path, 'remote'));
  // Fetching a commit by id over HTTP needs it to be wanted; allow it as GitHub does for reachable ones.
  await git(remote.url, 'config', 'uploadpack.allowAnySHA1InWant', 'true');
  server = await startAuthGitServer(dirname(remote.url), creds);
  repoPath = `/${basename(remote.url)}`;
  argv = recordGitArgv();
  argv.install();
});
after(async () => {
  argv?.uninstall();
  await server?.close();
  await tmp?.cleanup();
});

function assertNoTokenInArgv(): void {
  const calls = argv.calls();
  assert.ok(calls.length > 0, 'the shim saw the git calls');
  for (const c of calls) {
    assert.ok(!c.includes(TOKEN), `a git argv holds the token: ${c.replaceAll('\0', ' ')}`);
    assert.ok(!c.includes(encodeURIComponent(TOKEN)), 'nor URL-encoded');
  }
}

test('the server refuses git without the token (control)', async () => {
  await assert.rejects(
    prepareCheckout({
      dir: join(tmp.path, 'anonymous'),
      gitUrl: `${server.origin}${repoPath}`,
      branch: 'main',
    }),
  );
  assert.ok(server.refused > 0);
});

test('a clone from a URL with credentials keeps them out of argv and out of .git', async () => {
  const dir = join(tmp.path, 'clone');
  const withUserinfo = `http://x-access-token:${TOKEN}@${server.origin.slice('http://'.length)}${repoPath}`;
  const { baseCommitId } = await prepareCheckout({ dir, gitUrl: withUserinfo, branch: 'main' });
  assert.equal(baseCommitId, remote.mainCommit);
  assert.ok(server.served > 0);
  assert.doesNotMatch(await readFile(join(dir, '.git', 'config'), 'utf8'), new RegExp(TOKEN));
  assertNoTokenInArgv();
});

test('resuming on another worker fetches the base commit of a private repository with its credentials, not in argv', async () => {
  // The source as a registered git source with the token in its URL: the provider splits it.
  const gitUrl = `http://x-access-token:${TOKEN}@${server.origin.slice('http://'.length)}${repoPath}`;
  const source = { tenantId: 't', id: 'git/private', gitUrl, isPrivate: true, config: {}, createTime: 0 };
  const sourceRemote = await new GitProvider().remote(source);
  assert.doesNotMatch(sourceRemote.url, new RegExp(TOKEN));
  assert.deepEqual(sourceRemote.env, credentialEnv(creds));

  // Worker A: the session's checkout at main, an edit, its snapshot.
  const a = join(tmp.path, 'worker-a');
  const base = (await prepareCheckout({ dir: a, gitUrl, branch: 'main' })).baseCommitId;
  await writeFiles(a, { 'NOTES.md': 'from worker a\n' });
  const shadowA = join(tmp.path, 'worker-a.shadow');
  const treeId = await workingTreeId(a, shadowA, base);
  const patch = await snapshotPatch(a, shadowA, base);

  // The branch is rewritten (the base is no longer on it), then worker B resumes the session.
  const orphan = await git(
    remote.url,
    'commit-tree',
    '-m',
    'rewritten',
    await git(remote.url, 'hash-object', '-t', 'tree', '-w', '/dev/null'),
  );
  await git(remote.url, 'update-ref', 'refs/heads/keep', remote.mainCommit);
  await git(remote.url, 'update-ref', 'refs/heads/main', orphan);
  try {
    const b = join(tmp.path, 'worker-b');
    const served = server.served;
    const restored = await restoreSnapshot({
      dir: b,
      shadowDir: join(tmp.path, 'worker-b.shadow'),
      prepare: async () => (await prepareCheckout({ dir: b, gitUrl, branch: 'main' })).baseCommitId,
      remote: sourceRemote,
      snapshot: { baseCommitId: base, treeId, patch },
    });
    assert.deepEqual(restored, { baseCommitId: base, treeId }, 'resumed at the base, with the edit');
    assert.equal(await readFile(join(b, 'NOTES.md'), 'utf8'), 'from worker a\n');
    assert.ok(server.served > served, 'the base commit came from the authenticated server');
    const fetches = argv.calls().filter((c) => c.split('\0').includes('fetch'));
    assert.ok(fetches.length > 0, 'the base commit was fetched');
    assertNoTokenInArgv();
  } finally {
    await git(remote.url, 'update-ref', 'refs/heads/main', remote.mainCommit);
  }
});
