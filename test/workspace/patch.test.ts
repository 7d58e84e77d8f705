import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import { chmod, readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { prepareCheckout } from '../../src/workspace/checkout.ts';
import { runGit } from '../../src/workspace/git.ts';
import { applyCheck, computeChangeSet } from '../../src/workspace/patch.ts';
import { BINARY_V1, createRemote, git, LATIN1_V1, makeTempDir, type Remote, writeFiles } from './helpers.ts';

let tmp: { path: string; cleanup(): Promise<void> };
let remote: Remote;
let counter = 0;

before(async () => {
  tmp = await makeTempDir();
  remote = await createRemote(tmp.path);
});
after(() => tmp.cleanup());

async function freshCheckout(branch = 'feature'): Promise<{ dir: string; base: string }> {
  const dir = join(tmp.path, `co-${++counter}`);
  const { baseCommitId } = await prepareCheckout({ dir, gitUrl: remote.url, branch });
  return { dir, base: baseCommitId };
}

/** Applies `patch` to a new clone of `url` at `base` (with --index) and returns the resulting tree. */
async function treeAfterApply(url: string, base: string, patch: string): Promise<string> {
  const dir = join(tmp.path, `apply-${++counter}`);
  await runGit(['clone', '--quiet', '--no-checkout', '--', url, dir]);
  await git(dir, 'checkout', '--quiet', '--detach', base);
  if (patch !== '')
    await runGit(['apply', '--index', '--whitespace=nowarn', '-'], { cwd: dir, input: patch });
  await git(dir, 'add', '-A');
  return git(dir, 'write-tree');
}

async function worktreeTree(dir: string): Promise<string> {
  await git(dir, 'add', '-A');
  return git(dir, 'write-tree');
}

/** The agent's work: every kind of change a patch must carry. */
async function makeAgentChanges(dir: string): Promise<void> {
  // A commit of the agent's own, including a file force-added despite .gitignore.
  await writeFiles(dir, { 'README.md': '# Demo\n\nHello, agent.\n', 'forced.log': 'kept on purpose\n' });
  await git(dir, 'add', '-f', 'README.md', 'forced.log');
  await git(dir, 'commit', '--quiet', '-m', 'Agent commit');
  // Then uncommitted work on top of it.
  const oldText = await readFile(join(dir, 'old-name.txt'), 'utf8');
  await rename(join(dir, 'old-name.txt'), join(dir, 'new-name.txt'));
  await writeFile(join(dir, 'new-name.txt'), oldText.replace('line 3 of', 'LINE 3 OF'));
  await rm(join(dir, 'doomed.txt'));
  await writeFiles(dir, {
    'src/app.js': 'export const answer = 43;\n',
    'image.bin': Buffer.concat([BINARY_V1, Buffer.from([0, 0, 0xfe, 0x7f])]),
    'new-image.bin': Buffer.from([0, 1, 2, 3, 0, 255, 254, 0]),
    'untracked.txt': 'brand new\n',
    'new dir/deep/file.txt': 'deep inside a new directory\n',
    'with space.txt': 'spaced out\nand more\n',
    'latin1.txt': Buffer.concat([LATIN1_V1, Buffer.from('d\xe9j\xe0 vu\n', 'latin1')]),
    'odd *[name]?.txt': Buffer.from('r\xe9sum\xe9\n', 'latin1'),
    'café ünïcode.txt': 'unicode name\n',
    'empty.txt': '',
    'no-newline.txt': 'no newline at end',
    'debug.log': 'ignored by *.log\n',
    'build/out.js': 'ignored by build/\n',
  });
  await chmod(join(dir, 'script.sh'), 0o755);
  await symlink('README.md', join(dir, 'link-to-readme'));
}

function sections(patch: string): string[] {
  return patch.split(/^(?=diff --git )/m).filter((s) => s !== '');
}

test('the patch carries every change and rebuilds the same tree on a fresh clone at the base', async () => {
  const { dir, base } = await freshCheckout();
  assert.equal(base, remote.featureCommit);
  await makeAgentChanges(dir);
  const statusBefore = await git(dir, 'status', '--porcelain'); // (may refresh the index: read it after)
  const indexBefore = await readFile(join(dir, '.git', 'index'));

  const shadows = join(tmp.path, 'shadows');
  const { unidiffPatch, files } = await computeChangeSet(dir, base, { tempDir: shadows });
  assert.deepEqual(await readdir(shadows), [], 'temporary git dir left behind');

  // The checkout's own index and status are untouched, and no object was written into it.
  assert.deepEqual(await readFile(join(dir, '.git', 'index')), indexBefore);
  assert.equal(await git(dir, 'status', '--porcelain'), statusBefore);
  assert.equal(
    await git(dir, 'cat-file', '-e', await hashOf(dir, 'untracked.txt')).catch(() => 'absent'),
    'absent',
  );

  // Standard format: every section starts with a/ b/ header; /dev/null for created/deleted files.
  assert.ok(isUtf8(Buffer.from(unidiffPatch)));
  assert.ok(unidiffPatch.startsWith('diff --git a/'));
  for (const s of sections(unidiffPatch)) assert.match(s, /^diff --git a\/.* b\/.*\n/);
  assert.match(unidiffPatch, /^diff --git a\/doomed\.txt b\/doomed\.txt\ndeleted file mode 100644\n/m);
  assert.match(unidiffPatch, /^--- a\/doomed\.txt\n\+\+\+ \/dev\/null$/m);
  assert.match(unidiffPatch, /^--- \/dev\/null\n\+\+\+ b\/untracked\.txt$/m);
  assert.match(unidiffPatch, /^diff --git a\/with space\.txt b\/with space\.txt$/m);
  assert.match(unidiffPatch, /^diff --git a\/café ünïcode\.txt b\/café ünïcode\.txt$/m);
  assert.match(unidiffPatch, /^rename from old-name\.txt\nrename to new-name\.txt$/m);
  assert.match(unidiffPatch, /^old mode 100644\nnew mode 100755$/m);
  assert.match(unidiffPatch, /^new file mode 120000$/m);
  assert.ok(!unidiffPatch.includes('debug.log'));
  assert.ok(!unidiffPatch.includes('build/out.js'));
  // Non-UTF-8 text files travel as binary patches; UTF-8 ones stay readable.
  const latin = sections(unidiffPatch).find((s) => s.startsWith('diff --git a/latin1.txt'));
  assert.match(latin ?? '', /GIT binary patch/);
  const odd = sections(unidiffPatch).find((s) => s.startsWith('diff --git a/odd *[name]?.txt'));
  assert.match(odd ?? '', /GIT binary patch/);
  assert.match(unidiffPatch, /^-export const answer = 42;\n\+export const answer = 43;$/m);

  // The per-file summary.
  const byPath = new Map(files.map((f) => [f.path, f]));
  assert.deepEqual(byPath.get('new-name.txt'), {
    path: 'new-name.txt',
    oldPath: 'old-name.txt',
    status: 'renamed',
    additions: 1,
    deletions: 1,
    binary: false,
  });
  assert.equal(byPath.get('doomed.txt')?.status, 'deleted');
  assert.equal(byPath.get('untracked.txt')?.status, 'added');
  assert.equal(byPath.get('new dir/deep/file.txt')?.status, 'added');
  assert.equal(byPath.get('forced.log')?.status, 'added');
  assert.deepEqual(byPath.get('README.md'), {
    path: 'README.md',
    status: 'modified',
    additions: 1,
    deletions: 1,
    binary: false,
  });
  assert.deepEqual(byPath.get('image.bin'), {
    path: 'image.bin',
    status: 'modified',
    additions: 0,
    deletions: 0,
    binary: true,
  });
  assert.equal(byPath.get('script.sh')?.status, 'modified');
  assert.equal(byPath.has('debug.log'), false);
  assert.equal(byPath.has('old-name.txt'), false);

  // It applies on the base and yields exactly the agent's tree.
  await applyCheck(await cloneAt(base), unidiffPatch);
  assert.equal(await treeAfterApply(remote.url, base, unidiffPatch), await worktreeTree(dir));
});

async function hashOf(dir: string, file: string): Promise<string> {
  return git(dir, 'hash-object', '--', file);
}

async function cloneAt(base: string): Promise<string> {
  const dir = join(tmp.path, `check-${++counter}`);
  await runGit(['clone', '--quiet', '--', remote.url, dir]);
  await git(dir, 'checkout', '--quiet', '--detach', base);
  return dir;
}

test('no changes: empty patch and no files', async () => {
  const { dir, base } = await freshCheckout();
  const unchanged = { unidiffPatch: '', files: [], via: 'shadow' };
  assert.deepEqual(await computeChangeSet(dir, base), unchanged);
  await writeFiles(dir, { 'debug.log': 'ignored\n' });
  assert.deepEqual(await computeChangeSet(dir, base), unchanged);
});

test("neither the user's git config nor the checkout's (agent-writable) config changes the output or runs commands", async () => {
  const { dir, base } = await freshCheckout('main');
  await makeAgentChanges(dir);
  await writeFiles(dir, { '.gitattributes': '*.txt filter=evil diff=evil\n' });
  const clean = await computeChangeSet(dir, base);
  const expectedTree = await worktreeTree(dir); // before the checkout's config turns hostile

  const sentinel = join(tmp.path, `ran-${++counter}`);
  const hostile = [
    '[diff]',
    '\tnoprefix = true',
    '\tmnemonicPrefix = true',
    `\texternal = touch ${sentinel}-external`,
    '\trenames = false',
    '\talgorithm = patience',
    '[color]',
    '\tui = always',
    '\tdiff = always',
    '[core]',
    '\tquotePath = true',
    `\tfsmonitor = touch ${sentinel}-fsmonitor`,
    '\tautocrlf = true',
    `\tpager = touch ${sentinel}-pager`,
    '[filter "evil"]',
    `\tclean = "touch ${sentinel}-clean; cat"`,
    '\trequired = true',
    '[diff "evil"]',
    `\ttextconv = "touch ${sentinel}-textconv; cat"`,
    '',
  ].join('\n');
  const home = join(tmp.path, `home-${counter}`);
  await writeFiles(home, { '.gitconfig': hostile });
  const localConfig = join(dir, '.git', 'config');
  await writeFile(localConfig, `${await readFile(localConfig, 'utf8')}\n${hostile}`);
  const saved = { ...process.env };
  process.env['HOME'] = home;
  process.env['XDG_CONFIG_HOME'] = home;
  process.env['GIT_CONFIG_PARAMETERS'] = "'diff.noprefix'='true'";
  process.env['GIT_EXTERNAL_DIFF'] = `touch ${sentinel}-env`;
  try {
    const again = await computeChangeSet(dir, base);
    assert.equal(again.unidiffPatch, clean.unidiffPatch);
    assert.deepEqual(again.files, clean.files);
  } finally {
    process.env = saved;
  }
  assert.ok(clean.unidiffPatch.startsWith('diff --git a/'));
  for (const suffix of ['external', 'fsmonitor', 'pager', 'clean', 'textconv', 'env']) {
    await assert.rejects(readFile(`${sentinel}-${suffix}`), { code: 'ENOENT' }, `${suffix} ran`);
  }
  assert.equal(await treeAfterApply(remote.url, base, clean.unidiffPatch), expectedTree);

  // Control: the hostile config is live — git run directly in the checkout does execute it.
  await writeFiles(dir, { 'control.txt': 'x\n' });
  await git(dir, 'add', '-A');
  await readFile(`${sentinel}-clean`);
});

test('repoless checkout: new files against the empty base commit', async () => {
  const dir = join(tmp.path, `repoless-${++counter}`);
  const { baseCommitId } = await prepareCheckout({ dir });
  await writeFiles(dir, { 'hello.py': 'print("hi")\n', 'pkg/__init__.py': '' });
  const { unidiffPatch, files } = await computeChangeSet(dir, baseCommitId);
  assert.deepEqual(
    files.map((f) => [f.path, f.status, f.additions]),
    [
      ['hello.py', 'added', 1],
      ['pkg/__init__.py', 'added', 0],
    ],
  );
  assert.equal(await treeAfterApply(dir, baseCommitId, unidiffPatch), await worktreeTree(dir));
});

test('a nested repository the agent created does not break the change set', async () => {
  const { dir, base } = await freshCheckout('main');
  await runGit(['init', '--quiet', '--', join(dir, 'vendor', 'lib')]);
  await writeFiles(dir, { 'vendor/lib/x.txt': 'x\n', 'top.txt': 'top\n' });
  const { files, warnings } = await computeChangeSet(dir, base);
  assert.deepEqual(
    files.map((f) => f.path),
    ['top.txt'],
  );
  assert.deepEqual(warnings, ["'vendor/lib/' does not have a commit checked out"]);
});

test('a file name that is not UTF-8 still gives a UTF-8 patch that applies', async () => {
  const { dir, base } = await freshCheckout('main');
  const name = Buffer.concat([Buffer.from(`${dir}/bad-`), Buffer.from([0xff, 0xfe]), Buffer.from('.txt')]);
  await writeFile(name, 'content\n');
  await writeFiles(dir, { 'fine.txt': 'fine\n' });
  const { unidiffPatch, files } = await computeChangeSet(dir, base);
  assert.ok(isUtf8(Buffer.from(unidiffPatch)));
  assert.equal(files.length, 2);
  assert.match(unidiffPatch, /^diff --git "a\/bad-\\377\\376\.txt" "b\/bad-\\377\\376\.txt"$/m);
  assert.equal(await treeAfterApply(remote.url, base, unidiffPatch), await worktreeTree(dir));
});

test('maxPatchBytes bounds the patch', async () => {
  const { dir, base } = await freshCheckout('main');
  await writeFiles(dir, { 'big.txt': 'x'.repeat(10_000) });
  await assert.rejects(computeChangeSet(dir, base, { maxPatchBytes: 1000 }), /too much output/);
});

test('rejects a malformed base commit id', async () => {
  const { dir } = await freshCheckout('main');
  await assert.rejects(computeChangeSet(dir, 'HEAD'), /Invalid base commit id/);
  await assert.rejects(computeChangeSet(dir, '--output=/tmp/x'), /Invalid base commit id/);
});

test('applyCheck rejects a patch that does not apply', async () => {
  const { dir, base } = await freshCheckout('main');
  await writeFiles(dir, { 'README.md': 'changed\n' });
  const { unidiffPatch } = await computeChangeSet(dir, base);
  await applyCheck(await cloneAt(base), unidiffPatch);
  await assert.rejects(applyCheck(dir, unidiffPatch), /patch does not apply|already exists|failed/);
});
