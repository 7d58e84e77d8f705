// The agent's fsmonitor hook (src/workspace/fsmonitor/, src/workspace/watch/fsmonitor-*.ts): git in
// the checkout trusts every index entry the hook does not name, so what `git status` shows with the
// hook must equal what it shows without it, whatever the tools and commands did, in a fresh and in a
// reused checkout; and when the watcher cannot vouch for the answer the hook must fail (git then
// looks at everything).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, realpath, rename, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { writeFileInside } from '../../src/agents/tools/files.ts';
import { feedsCommands } from '../../src/runner/feed-sandbox.ts';
import { createSandbox, type Sandbox } from '../../src/sandbox/index.ts';
import { PlainSandbox } from '../../src/sandbox/plain/plain-sandbox.ts';
import { HOOK_FILE, readAgentFsmonitor } from '../../src/workspace/fsmonitor/agent-hook.ts';
import { indexExtensions, withFsmonitorToken } from '../../src/workspace/fsmonitor/index-extension.ts';
import { type ChangeWatch, NO_WATCH, ProcessChangeWatch } from '../../src/workspace/watch/change-watch.ts';
import { bubblewrapGate } from '../support/sandbox-probe.ts';
import { workspacesFixture } from './fixture.ts';
import { git, makeTempDir, writeFiles } from './helpers.ts';

const fx = workspacesFixture();
const watch = new ProcessChangeWatch();
after(() => watch.close());
const exec = promisify(execFile);
const gate = await bubblewrapGate();
// The hook runs where the agent's git runs: in the plain sandbox, and in bubblewrap (its .git shown
// read-only, its own network namespace; the socket is reached by path).
const sandboxes: [string, () => Sandbox][] = [['plain', () => new PlainSandbox()]];
if (gate.probe.ok) {
  const { path, features } = gate.probe;
  sandboxes.push([
    'bubblewrap',
    () => createSandbox('bubblewrap', { bwrapPath: path, features, killGraceMs: 500 }),
  ]);
}
let sandbox: () => Sandbox = sandboxes[0]![1];

// `git status` with the hook (and the untracked cache the agent's index came with, which only the
// default mode of listing untracked files uses: first), then without either: run in the checkout as
// a command, its stderr (a warning) included.
const PLAIN = '-c core.fsmonitor=false -c core.untrackedCache=false';
const STATUS = `git status --porcelain=v1; git status --porcelain=v1 --untracked-files=all; echo @@; git ${PLAIN} status --porcelain=v1; git ${PLAIN} status --porcelain=v1 --untracked-files=all`;

async function statusBoth(dir: string, w: ChangeWatch = watch): Promise<{ hooked: string; plain: string }> {
  const r = await feedsCommands(sandbox(), dir, w).run({
    command: STATUS,
    cwd: dir,
    timeoutMs: 60_000,
    maxOutputBytes: 1 << 20,
  });
  assert.equal(r.exitCode, 0, r.output);
  const [hooked = '', plain = ''] = r.output.split('@@\n');
  return { hooked, plain };
}

async function run(dir: string, command: string, w: ChangeWatch = watch): Promise<void> {
  const r = await feedsCommands(sandbox(), dir, w).run({
    command,
    cwd: dir,
    timeoutMs: 60_000,
    maxOutputBytes: 1 << 16,
  });
  assert.equal(r.exitCode, 0, r.output);
}

// Whether the checkout's agent index has an untracked cache made for its location.
async function hasUntrackedCache(dir: string): Promise<boolean> {
  const index = await readFile(join(dir, '.git', 'index'));
  const untr = indexExtensions(index, 'sha1')?.extensions.find((e) => e.signature === 'UNTR');
  return untr?.data.includes(Buffer.from(`Location ${await realpath(dir)}, system Linux\0`)) === true;
}

// What the hook answers right now (as git would call it), or undefined when it fails.
async function askHook(dir: string, token: string): Promise<string[] | undefined> {
  try {
    const { stdout } = await exec(join(dir, '.git', HOOK_FILE), ['2', token], {
      cwd: dir,
      encoding: 'buffer',
    });
    return stdout.toString('utf8').split('\0').slice(0, -1);
  } catch {
    return undefined;
  }
}

for (const [kind, make] of sandboxes) {
  test(`git status with the hook sees what it sees without, through tools, commands and a reuse (${kind})`, async () => {
    sandbox = make;
    try {
      await statusAgrees(kind);
    } finally {
      sandbox = sandboxes[0]![1];
    }
  });
}

async function statusAgrees(kind: string) {
  const ws = fx.workspaces(`status-${kind}`, { poolSize: 0 });
  await ws.prepare({ sessionId: 's1', source: fx.source() });
  const dir = ws.dirOf('s1');
  const agent = await readAgentFsmonitor(ws.gitDirOf('s1'));
  assert.ok(agent, 'the agent index carries a token');
  // (Stint's own git runs with core.fsmonitor=false: read the file.)
  assert.match(await git(dir, 'config', '--file', '.git/config', 'core.fsmonitor'), /stint-fsmonitor$/);

  assert.ok(await hasUntrackedCache(dir), 'the agent index carries the untracked cache');
  // Clean at the start; the hook answers (the watcher was seeded by the first command).
  let s = await statusBoth(dir);
  assert.equal(s.hooked, '');
  assert.equal(s.plain, '');
  assert.deepEqual(await askHook(dir, agent.token), [agent.token]);
  assert.equal(await askHook(dir, 'stint:another'), undefined, 'another token is not answered');
  // And from inside the sandbox, as git runs it.
  const inside = await feedsCommands(sandbox(), dir, watch).run({
    command: `.git/${HOOK_FILE} 2 '${agent.token}' | tr '\\0' '\\n'; echo "exit $?"`,
    cwd: dir,
    timeoutMs: 60_000,
    maxOutputBytes: 4096,
  });
  assert.equal(inside.output, `${agent.token}\nexit 0\n`);

  // A file tool between commands, and a command that replaces a tracked file by one of the same
  // size, adds one and deletes one.
  await writeFileInside(dir, 'src/app.js', 'export const answer = 43;\n');
  const readme = join(dir, 'README.md');
  const before = await readFile(readme);
  await run(
    dir,
    "printf '# Demo\\n\\nHellO.\\n' > README.md.tmp && mv README.md.tmp README.md && echo new > added.txt && rm doomed.txt",
  );
  assert.equal((await readFile(readme)).length, before.length);
  s = await statusBoth(dir);
  assert.equal(s.hooked, s.plain);
  assert.match(s.plain, / M README\.md/);
  assert.match(s.plain, / M src\/app\.js/);
  assert.match(s.plain, /\?\? added\.txt/);
  assert.match(s.plain, / D doomed\.txt/);
  const named = await askHook(dir, agent.token);
  assert.ok(named?.includes('src/app.js') && named.includes('README.md'), String(named));

  // Same size, same whole-second mtime, in place: git trusts stat data, so only the hook's name
  // makes it look (and the ctime then differs).
  const app = join(dir, 'src', 'app.js');
  await run(
    dir,
    "printf 'export const answer = 44;\\n' > src/app.js && touch -d '2001-01-01 00:00:00' src/app.js",
  );
  await utimes(app, new Date('2001-01-01T00:00:00Z'), new Date('2001-01-01T00:00:00Z'));
  s = await statusBoth(dir);
  assert.equal(s.hooked, s.plain);

  // New files in a new directory and in a directory the cache knows, by a command and by a tool.
  await run(dir, 'mkdir -p src/newdir/deeper && echo y > src/newdir/deeper/n.txt && echo z > src/extra.txt');
  await writeFileInside(dir, 'docs/guide/intro.md', '# Intro\n');
  s = await statusBoth(dir);
  assert.equal(s.hooked, s.plain);
  assert.match(s.plain, /\?\? src\/newdir\/\n/);
  assert.match(s.plain, /\?\? src\/extra\.txt/);
  assert.match(s.plain, /\?\? docs\/\n/);
  assert.match(s.plain, /\?\? src\/newdir\/deeper\/n\.txt/);

  // A directory renamed away inside a command: the watcher cannot tell what moved, so the hook
  // fails and git looks at everything; status still agrees.
  await run(dir, 'mkdir -p sub/deep && echo x > sub/deep/f.txt');
  await run(dir, 'mv sub sub2 && mv src src-moved');
  s = await statusBoth(dir);
  assert.equal(s.hooked, s.plain);
  assert.match(s.plain, / D src\/app\.js/);

  // The checkout goes back to the pool and serves the next session: a new token, clean again.
  await ws.release('s1');
  await ws.prepare({ sessionId: 's2', source: fx.source() });
  const dir2 = ws.dirOf('s2');
  const agent2 = await readAgentFsmonitor(ws.gitDirOf('s2'));
  assert.ok(agent2 && agent2.token !== agent.token);
  // The cache computed for the first checkout of this commit, made for this one's location.
  assert.ok(await hasUntrackedCache(dir2));
  s = await statusBoth(dir2);
  assert.equal(s.hooked, '');
  assert.equal(s.plain, '');
  await run(dir2, "echo changed >> 'with space.txt' && ln -s README.md link.md && chmod +x README.md");
  s = await statusBoth(dir2);
  assert.equal(s.hooked, s.plain);
  assert.match(s.plain, / M "?with space\.txt"?/);
  assert.match(s.plain, / M README\.md/);
}

// A session's checkout in its own Workspaces, with the token of its agent index.
async function session(name: string, id: string) {
  const ws = fx.workspaces(name, { poolSize: 0 });
  await ws.prepare({ sessionId: id, source: fx.source() });
  const agent = await readAgentFsmonitor(ws.gitDirOf(id));
  assert.ok(agent, 'the agent index carries a token');
  return { ws, dir: ws.dirOf(id), agent };
}

test('the hook fails (git looks at everything) when the watcher cannot vouch for its answer', async () => {
  const { ws, dir, agent } = await session('unknown', 'u1');
  // Before any watched command: no socket.
  assert.equal(await askHook(dir, agent.token), undefined);
  await statusBoth(dir);
  assert.deepEqual(await askHook(dir, agent.token), [agent.token]);
  // An unwatched command drops the feed; the next watched one cannot seed the hook from it.
  await run(dir, 'echo x >> README.md', NO_WATCH);
  const s = await statusBoth(dir);
  assert.equal(s.hooked, s.plain);
  assert.match(s.plain, / M README\.md/);
  assert.equal(await askHook(dir, agent.token), undefined);
  // A stale socket file left by a dead watcher is replaced, never followed.
  await ws.release('u1');
});

test('the index extension: every entry trusted, the hook names what to look at; other indexes refused', async () => {
  const tmp = await makeTempDir();
  try {
    const dir = tmp.path;
    await git(dir, 'init', '--quiet');
    await writeFiles(dir, {
      'a.txt': 'aaaa\n',
      'd/b.txt': 'bbbb\n',
      [`${'n'.repeat(200)}/${'m'.repeat(200)}.txt`]: 'long\n',
    });
    await git(dir, 'add', '-A');
    await git(dir, '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '--quiet', '-m', 'c');
    await writeFile(join(dir, 'later.txt'), 'intent\n');
    // Intent-to-add sets an entry's extended flags (index version 3).
    await git(dir, 'add', '-N', 'later.txt');
    const hook = join(dir, 'hook.sh');
    for (const version of ['3', '4']) {
      await git(dir, 'update-index', '--index-version', version);
      const index = join(dir, '.git', 'index');
      const out = withFsmonitorToken(await readFile(index), 'tok-1', 'sha1');
      assert.ok(out, `version ${version} parses`);
      // Applied twice: one extension, replaced.
      const again = withFsmonitorToken(out, 'tok-2', 'sha1');
      assert.ok(again);
      assert.equal(again.toString('latin1').split('FSMN').length, 2);
      await writeFile(index, again);
      await utimes(index, new Date('2030-01-01'), new Date('2030-01-01'));
      // Same size, content and time changed: only a named path is looked at.
      await writeFile(join(dir, 'a.txt'), 'AAAA\n');
      await utimes(join(dir, 'a.txt'), new Date('2001-01-01'), new Date('2001-01-01'));
      await writeFile(hook, "#!/bin/sh\nprintf 'tok-2\\0'\n", { mode: 0o755 });
      // (Not through runGit, which turns core.fsmonitor off.)
      const status = async () =>
        (
          await exec(
            'git',
            [
              '-c',
              `core.fsmonitor=${hook}`,
              '-c',
              'core.fsmonitorHookVersion=2',
              'status',
              '--porcelain',
              '--untracked-files=no',
            ],
            { cwd: dir },
          )
        ).stdout;
      assert.doesNotMatch(await status(), /a\.txt/, 'an entry the hook does not name is trusted');
      await writeFile(hook, "#!/bin/sh\nprintf 'tok-2\\0a.txt\\0'\n", { mode: 0o755 });
      assert.match(await status(), / M a\.txt/);
      // Without the hook git sees it by itself (the change is real).
      assert.match(await git(dir, 'status', '--porcelain', '--untracked-files=no'), /M a\.txt/);
      await writeFile(join(dir, 'a.txt'), 'aaaa\n');
    }
    const index = await readFile(join(dir, '.git', 'index'));
    assert.equal(withFsmonitorToken(index.subarray(0, 40), 't', 'sha1'), undefined, 'a truncated index');
    assert.equal(withFsmonitorToken(Buffer.from('not an index at all, not at all'), 't', 'sha1'), undefined);
    assert.throws(() => withFsmonitorToken(index, 'a\0b', 'sha1'));
  } finally {
    await tmp.cleanup();
  }
});

test('the socket is made in the checkout’s own .git only: a .git that is a link gets none', async () => {
  const { dir } = await session('linked', 'l1');
  const elsewhere = join(fx.root, 'elsewhere-git');
  await rename(join(dir, '.git'), elsewhere);
  await symlink(elsewhere, join(dir, '.git'));
  try {
    await run(dir, 'true');
    await assert.rejects(readFile(join(elsewhere, 'stint-fsmonitor.sock')), { code: 'ENOENT' });
  } finally {
    await rm(join(dir, '.git'));
    await rename(elsewhere, join(dir, '.git'));
  }
});
