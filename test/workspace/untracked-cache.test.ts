// The untracked cache a session's agent index receives (src/workspace/fsmonitor/untracked-cache.ts):
// made in one clean checkout of a commit, read by git in another; trusted only where the fsmonitor
// hook vouches for a directory, every directory read again when the hook fails; a cache made for
// another location is replaced without a word.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile, realpath, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import {
  indexExtensions,
  rewriteExtensions,
  withFsmonitorToken,
} from '../../src/workspace/fsmonitor/index-extension.ts';
import { portableUntracked, untrackedExtension } from '../../src/workspace/fsmonitor/untracked-cache.ts';
import { git, makeTempDir, writeFiles } from './helpers.ts';

const exec = promisify(execFile);

// git status in `dir` with a hook that answers `answer` (a token and NUL-terminated paths; exit 1
// when undefined) and the untracked cache on: stdout and stderr.
async function hookedStatus(dir: string, answer: string[] | undefined) {
  const hook = join(dir, '..', `hook-${dir.split('/').pop()}.sh`);
  const script =
    answer === undefined
      ? '#!/bin/sh\nexit 1\n'
      : `#!/bin/sh\nprintf '${answer.map((a) => `${a}\\0`).join('')}'\n`;
  await writeFile(hook, script, { mode: 0o755 });
  const { stdout, stderr } = await exec(
    'git',
    [
      '-c',
      `core.fsmonitor=${hook}`,
      '-c',
      'core.fsmonitorHookVersion=2',
      '-c',
      'core.untrackedCache=true',
      '-c',
      `core.excludesFile=${join(dir, '..', 'none')}`,
      'status',
      '--porcelain=v1',
    ],
    { cwd: dir, env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' } },
  );
  return { stdout, stderr };
}

test('the untracked cache of a clean checkout serves another checkout of the commit', async () => {
  const tmp = await makeTempDir();
  try {
    const seed = join(tmp.path, 'seed');
    await mkdir(seed);
    await git(seed, 'init', '--quiet');
    await writeFiles(seed, {
      'a/one.txt': '1\n',
      'a/b/two.txt': '2\n',
      'a/.gitignore': '*.log\n',
      'c/three.txt': '3\n',
      'top.txt': 't\n',
    });
    await git(seed, 'add', '-A');
    await git(seed, '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '--quiet', '-m', 'c');
    const [first, second] = [join(tmp.path, 'first'), join(tmp.path, 'second')];
    await git(tmp.path, 'clone', '--quiet', seed, first);
    await git(tmp.path, 'clone', '--quiet', seed, second);

    // Made in the first checkout (clean), as the server does: git fills it in a status.
    await git(first, '-c', 'core.untrackedCache=true', 'status', '--porcelain');
    const made = indexExtensions(await readFile(join(first, '.git', 'index')), 'sha1')?.extensions.find(
      (e) => e.signature === 'UNTR',
    );
    assert.ok(made, 'git wrote an untracked cache');
    const portable = portableUntracked(made.data, 20);
    assert.ok(portable, 'it parses');
    assert.equal(portableUntracked(made.data.subarray(0, made.data.length - 9), 20), undefined, 'truncated');
    assert.equal(portableUntracked(Buffer.from('nonsense'), 20), undefined);

    // The second checkout's index with a token that vouches for every entry and that cache.
    const index = join(second, '.git', 'index');
    const withToken = withFsmonitorToken(await readFile(index), 'tok', 'sha1');
    assert.ok(withToken);
    const ext = untrackedExtension(portable, await realpath(second));
    const plan = rewriteExtensions(withToken, 'sha1', [ext]);
    assert.ok(plan);
    const spliced = Buffer.concat([...plan.keep.map(([a, b]) => withToken.subarray(a, b)), plan.tail]);
    await writeFile(index, spliced);
    assert.equal(await git(second, 'status', '--porcelain'), '', 'git reads the index (clean)');
    await writeFile(index, spliced);

    await writeFiles(second, {
      'a/b/new.txt': 'n\n',
      'a/skip.log': 'ignored\n',
      'c/d/e/deep.txt': 'd\n',
      'c/other.txt': 'o\n',
    });
    // The hook names two of them: git reads those directories only (the cache is trusted elsewhere).
    let s = await hookedStatus(second, ['tok', 'a/b/new.txt', 'a/skip.log']);
    assert.equal(s.stderr, '');
    assert.equal(s.stdout, '?? a/b/new.txt\n');
    await writeFile(index, spliced);
    s = await hookedStatus(second, ['tok', 'a/b/new.txt', 'a/skip.log', 'c/d/e/deep.txt', 'c/other.txt']);
    assert.equal(s.stdout, '?? a/b/new.txt\n?? c/d/\n?? c/other.txt\n');
    // The hook fails: every directory's stat data was zeroed, so git reads them all.
    await writeFile(index, spliced);
    s = await hookedStatus(second, undefined);
    assert.equal(s.stderr, '');
    assert.equal(s.stdout, '?? a/b/new.txt\n?? c/d/\n?? c/other.txt\n');

    // Made for another location: replaced without a warning, and the answer still right.
    const elsewhere = rewriteExtensions(withToken, 'sha1', [untrackedExtension(portable, '/elsewhere')]);
    assert.ok(elsewhere);
    await writeFile(
      index,
      Buffer.concat([...elsewhere.keep.map(([a, b]) => withToken.subarray(a, b)), elsewhere.tail]),
    );
    s = await hookedStatus(second, ['tok', 'a/b/new.txt']);
    assert.equal(s.stderr, '');
    assert.equal(s.stdout, '?? a/b/new.txt\n?? c/d/\n?? c/other.txt\n');
  } finally {
    await tmp.cleanup();
  }
});
