// Publishing a session's change set as a branch: binary, new, deleted and renamed files; the patch
// applies cleanly on its base; follow-ups add commits; retries add nothing; others' commits stop it.
import assert from 'node:assert/strict';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BranchConflictError, publishSessionBranch } from '../../src/workspace/mirror/session-branch.ts';
import { computeChangeSet } from '../../src/workspace/patch.ts';
import { Workspaces } from '../../src/workspace/workspaces.ts';
import {
  BINARY_V1,
  createRemote,
  git,
  makeTempDir,
  type Remote,
  worktreeTree,
  writeFiles,
} from './helpers.ts';

let tmp: { path: string; cleanup(): Promise<void> };
let remote: Remote;
let ws: Workspaces;

before(async () => {
  tmp = await makeTempDir();
  remote = await createRemote(tmp.path);
  ws = new Workspaces({ dir: join(tmp.path, 'ws'), poolSize: 0, poolIdleMs: 0, maxPooledCheckouts: 0 });
});
after(async () => {
  await ws.close();
  await tmp.cleanup();
});

const src = () => ({
  identity: { tenantId: 't', sourceId: 'git/acme/demo', url: remote.url },
  remote: { url: remote.url, env: {} },
  branch: 'main',
});

async function publish(sessionId: string, baseCommitId: string, patch: string, message = 'Agent work') {
  return publishSessionBranch({
    mirror: ws.mirrors.get(src().identity),
    remote: src().remote,
    sessionId,
    branch: `stint/${sessionId}`,
    baseCommitId,
    patch,
    message,
    tempDir: ws.tempDir,
  });
}

test('the branch carries exactly the change set, which applies cleanly on its base', async () => {
  const { baseCommitId } = await ws.prepare({ sessionId: 's1', source: src() });
  const dir = ws.dirOf('s1');
  await writeFiles(dir, {
    'image.bin': Buffer.concat([BINARY_V1, Buffer.from([0, 1, 2, 3, 250])]),
    'new/blob.dat': Buffer.from([0, 255, 0, 7, 9]),
    'src/app.js': 'export const answer = 43;\n',
  });
  await rename(join(dir, 'old-name.txt'), join(dir, 'new-name.txt'));
  await rm(join(dir, 'doomed.txt'));
  const changes = await computeChangeSet(dir, baseCommitId);
  const statuses = Object.fromEntries(changes.files.map((f) => [f.path, f.status]));
  assert.deepEqual(statuses, {
    'doomed.txt': 'deleted',
    'image.bin': 'modified',
    'new-name.txt': 'renamed',
    'new/blob.dat': 'added',
    'src/app.js': 'modified',
  });

  const first = await publish('s1', baseCommitId, changes.unidiffPatch);
  assert.ok(first?.pushed);
  assert.equal(await git(remote.url, 'rev-parse', 'refs/heads/stint/s1'), first.commitId);
  assert.equal(await git(remote.url, 'rev-parse', `${first.commitId}^`), baseCommitId);
  const message = await git(remote.url, 'log', '-1', '--format=%B', first.commitId);
  assert.match(message, /^Agent work\n\nStint-Session: s1$/);
  // The pushed tree is the agent's working tree.
  assert.equal(await git(remote.url, 'rev-parse', `${first.commitId}^{tree}`), await worktreeTree(dir));

  // The patch applies on baseCommitId in a fresh clone and gives the same tree.
  const clone = join(tmp.path, 'verify');
  await git(tmp.path, 'clone', '--quiet', '--', remote.url, clone);
  await git(clone, 'checkout', '--quiet', baseCommitId);
  await writeFile(join(tmp.path, 'p.diff'), changes.unidiffPatch);
  await git(clone, 'apply', '--check', '--binary', join(tmp.path, 'p.diff'));
  await git(clone, 'apply', '--index', '--binary', join(tmp.path, 'p.diff'));
  assert.equal(
    await git(clone, 'write-tree'),
    await git(remote.url, 'rev-parse', `${first.commitId}^{tree}`),
  );

  // A retry (say, after a crash) finds its own push and adds nothing.
  const retry = await publish('s1', baseCommitId, changes.unidiffPatch);
  assert.deepEqual(retry, { branch: 'stint/s1', commitId: first.commitId, pushed: false });

  // A follow-up that changes more adds one commit on top of the first.
  await writeFiles(dir, { 'FOLLOWUP.md': 'more\n' });
  const more = await computeChangeSet(dir, baseCommitId);
  const second = await publish('s1', baseCommitId, more.unidiffPatch, 'Follow-up');
  assert.ok(second?.pushed);
  assert.equal(await git(remote.url, 'rev-parse', `${second.commitId}^`), first.commitId);
  assert.equal(await git(remote.url, 'rev-parse', `${second.commitId}^{tree}`), await worktreeTree(dir));
});

test('no changes and no branch yet: nothing is pushed', async () => {
  const { baseCommitId } = await ws.prepare({ sessionId: 's2', source: src() });
  assert.equal(await publish('s2', baseCommitId, ''), undefined);
  await assert.rejects(git(remote.url, 'rev-parse', '--verify', 'refs/heads/stint/s2'));
});

test("someone else's commit on the branch stops the push instead of being undone", async () => {
  const { baseCommitId } = await ws.prepare({ sessionId: 's3', source: src() });
  const dir = ws.dirOf('s3');
  await writeFiles(dir, { 'mine.txt': 'mine\n' });
  const changes = await computeChangeSet(dir, baseCommitId);
  const first = await publish('s3', baseCommitId, changes.unidiffPatch);
  // A person adds a commit to the session's branch.
  const other = join(tmp.path, 'other');
  await git(tmp.path, 'clone', '--quiet', '--branch', 'stint/s3', '--', remote.url, other);
  await writeFiles(other, { 'theirs.txt': 'theirs\n' });
  await git(other, 'add', '-A');
  await git(other, 'commit', '--quiet', '-m', 'A human commit');
  await git(other, 'push', '--quiet', 'origin', 'HEAD:refs/heads/stint/s3');
  await writeFiles(dir, { 'mine.txt': 'mine, edited\n' });
  const again = await computeChangeSet(dir, baseCommitId);
  await assert.rejects(publish('s3', baseCommitId, again.unidiffPatch), BranchConflictError);
  assert.notEqual(await git(remote.url, 'rev-parse', 'refs/heads/stint/s3'), first?.commitId);
});
