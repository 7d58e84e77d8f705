import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { GitError, gitEnv, runGit, runGitRaw } from '../../src/workspace/git.ts';
import { setGitHelpers } from '../../src/workspace/git-helpers.ts';
import { waitGone } from '../sandbox/proc.ts';
import { makeTempDir } from './helpers.ts';

let tmp: { path: string; cleanup(): Promise<void> };
const savedEnv = { ...process.env };

before(async () => {
  tmp = await makeTempDir();
});
after(async () => {
  process.env = savedEnv;
  await tmp.cleanup();
});

test('runGit returns stdout and passes input on stdin', async () => {
  const { stdout } = await runGit(['hash-object', '--stdin'], { input: 'hello\n', cwd: tmp.path });
  assert.equal(stdout.trim(), 'ce013625030ba8dba906f756967f9e9ca394464a');
  const raw = await runGitRaw(['version']);
  assert.ok(Buffer.isBuffer(raw.stdout));
});

test('a failing git call throws a GitError with args, exit code and stderr', async () => {
  await assert.rejects(runGit(['rev-parse', '--verify', 'no-such-ref'], { cwd: tmp.path }), (err) => {
    assert.ok(err instanceof GitError);
    assert.deepEqual(err.args, ['rev-parse', '--verify', 'no-such-ref']);
    assert.equal(err.exitCode, 128);
    assert.match(err.stderr, /not a git repository/);
    assert.match(err.message, /^git rev-parse --verify no-such-ref failed with exit code 128: fatal/);
    return true;
  });
});

test("ignores the user's and the system's git config and GIT_* overrides", async () => {
  const home = join(tmp.path, 'home');
  await runGit(['init', '--quiet', '--', home]);
  await writeFile(join(home, '.gitconfig'), '[user]\n\tname = Mallory\n[init]\n\tdefaultBranch = trunk\n');
  process.env['HOME'] = home;
  process.env['XDG_CONFIG_HOME'] = home;
  process.env['GIT_CONFIG_PARAMETERS'] = "'user.name'='Eve'";
  process.env['GIT_DIR'] = join(home, '.git');
  process.env['GIT_SSL_CAINFO'] = '/dev/null/kept';
  try {
    const repo = join(tmp.path, 'iso');
    await runGit(['init', '--quiet', '--', repo]);
    assert.equal((await runGit(['config', 'user.name'], { cwd: repo })).stdout.trim(), 'Stint');
    assert.equal((await runGit(['symbolic-ref', 'HEAD'], { cwd: repo })).stdout.trim(), 'refs/heads/main');
    const env = gitEnv();
    assert.equal(env['GIT_DIR'], undefined);
    assert.equal(env['GIT_CONFIG_PARAMETERS'], undefined);
    assert.equal(env['GIT_SSL_CAINFO'], '/dev/null/kept');
    assert.equal(env['GIT_CONFIG_GLOBAL'], '/dev/null');
    assert.equal(env['GIT_CONFIG_NOSYSTEM'], '1');
    assert.equal(env['GIT_TERMINAL_PROMPT'], '0');
    assert.equal(env['LC_ALL'], 'C');
    // Caller env cannot undo the isolation.
    assert.equal(gitEnv({ GIT_CONFIG_GLOBAL: join(home, '.gitconfig') })['GIT_CONFIG_GLOBAL'], '/dev/null');
  } finally {
    process.env = { ...savedEnv };
  }
});

test('timeoutMs kills git and its child processes and reports a timeout', async () => {
  // A fake ssh that records its pid and hangs for an hour: git waits on it until the timeout, so the
  // call returning at all proves the kill.
  const pidFile = join(tmp.path, 'ssh.pid');
  const fakeSsh = join(tmp.path, 'fake-ssh');
  await writeFile(fakeSsh, `#!/bin/sh\necho $$ > '${pidFile}'\nexec sleep 3600\n`, { mode: 0o755 });
  // A busy machine can take longer than a short timeout just to start git and its ssh: grow the
  // timeout until the fake ssh got to run, so the kill of a real child is what is tested.
  for (const timeoutMs of [500, 2_000, 10_000, 50_000]) {
    await rm(pidFile, { force: true });
    await assert.rejects(
      runGit(['ls-remote', '--', 'ssh://example.invalid/x'], {
        timeoutMs,
        env: { GIT_SSH_COMMAND: fakeSsh },
      }),
      (err) => {
        assert.ok(err instanceof GitError);
        assert.equal(err.reason, 'timeout');
        assert.equal(err.exitCode, null);
        assert.match(err.message, /timed out/);
        return true;
      },
    );
    if (Number(await readFile(pidFile, 'utf8').catch(() => '')) > 0) break;
  }
  const pid = Number((await readFile(pidFile, 'utf8')).trim());
  assert.ok(pid > 0, 'the fake ssh ran');
  assert.equal(await waitGone(pid, 30_000), true, `fake ssh ${pid} still alive`);
});

test('maxBuffer bounds stdout', async () => {
  await assert.rejects(runGit(['help', '-a'], { maxBuffer: 64 }), (err) => {
    assert.ok(err instanceof GitError);
    assert.equal(err.reason, 'max-buffer');
    return true;
  });
});

test('git runs in a git helper process: bytes come back exactly, errors keep their fields, the env is the caller’s now', async () => {
  const repo = join(tmp.path, 'threads');
  await runGit(['init', '--quiet', '--', repo]);
  const bytes = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80, 10, 0]);
  const { stdout: id } = await runGit(['hash-object', '-w', '--stdin'], { cwd: repo, input: bytes });
  for (const threads of [2, 0]) {
    setGitHelpers(threads);
    try {
      const blob = await runGitRaw(['cat-file', 'blob', id.trim()], { cwd: repo });
      assert.deepEqual(blob.stdout, bytes, `threads=${threads}`);
      // Many at once, spread over the threads, each answered with its own output.
      const sizes = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          runGit(['hash-object', '--stdin'], { cwd: repo, input: 'x'.repeat(i) }).then((r) =>
            r.stdout.trim(),
          ),
        ),
      );
      assert.equal(new Set(sizes).size, 12);
      await assert.rejects(runGitRaw(['cat-file', 'blob', 'nope'], { cwd: repo }), (err) => {
        assert.ok(err instanceof GitError);
        assert.equal(err.exitCode, 128);
        assert.match(err.stderr, /nope/);
        return true;
      });
      process.env['EDITOR'] = `stint-editor-${threads}`;
      const editor = await runGit(['var', 'GIT_EDITOR'], { cwd: repo });
      assert.equal(editor.stdout.trim(), `stint-editor-${threads}`);
    } finally {
      delete process.env['EDITOR'];
      setGitHelpers(2);
    }
  }
});

test('git helpers that cannot start hand their runs back: git is spawned in this process instead', async () => {
  const missing = new URL(`file://${join(tmp.path, 'no-such-git-helper.js')}`);
  try {
    setGitHelpers(2, missing);
    const runs = await Promise.all([runGit(['version']), runGit(['version']), runGit(['version'])]);
    for (const r of runs) assert.match(r.stdout, /^git version /);
    assert.match((await runGit(['version'])).stdout, /^git version /);
  } finally {
    setGitHelpers(2);
  }
});
