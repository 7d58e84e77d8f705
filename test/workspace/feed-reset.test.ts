// Resets from the change feed (src/workspace/feed-reset.ts): when every change since the base went
// through the file tools or a watched command, the reset looks at the named paths only, and must
// leave exactly what a fresh checkout has: no file, mode, symlink, ignored file or empty directory
// of the previous session, and a server index whose stat cache the next walk can trust.
import assert from 'node:assert/strict';
import {
  chmod,
  lstat,
  mkdir,
  readFile,
  rename,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { writeFileInside } from '../../src/agents/tools/files.ts';
import { forgetFeed, readFeedEntries, startFeed } from '../../src/workspace/change-feed.ts';
import { runGit } from '../../src/workspace/git.ts';
import { computeChangeSet } from '../../src/workspace/patch.ts';
import { serverChangeSet } from '../../src/workspace/server-change-set.ts';
import { resetWorkTree } from '../../src/workspace/server-git.ts';
import { NO_WATCH, ProcessChangeWatch } from '../../src/workspace/watch/change-watch.ts';
import { workspacesFixture } from './fixture.ts';
import { asCommand, BINARY_V1, listing } from './helpers.ts';

const fx = workspacesFixture();
const watch = new ProcessChangeWatch();
after(() => watch.close());
const RUN = { timeoutMs: 60_000, background: false };
const TRACKED = [
  'README.md',
  'src/app.js',
  'image.bin',
  'old-name.txt',
  'doomed.txt',
  'script.sh',
  'with space.txt',
];

type Op =
  | { kind: 'edit' | 'delete' | 'sneaky' | 'chmod600' | 'chmod755' | 'symlink'; file: number }
  | { kind: 'rename'; file: number; to: string }
  | { kind: 'add' | 'ignored' | 'tool'; name: string }
  | { kind: 'lock-dir' | 'empty-dir'; name: string };

const name = fc.stringMatching(/^[a-z]{1,5}(\/[a-z]{1,5}){0,2}$/);
const file = fc.nat(TRACKED.length - 1);
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('edit', 'delete', 'sneaky', 'chmod600', 'chmod755', 'symlink') as fc.Arbitrary<
      'edit' | 'delete' | 'sneaky' | 'chmod600' | 'chmod755' | 'symlink'
    >,
    file,
  }),
  fc.record({ kind: fc.constant('rename' as const), file, to: name }),
  fc.record({
    kind: fc.constantFrom('add', 'ignored', 'tool') as fc.Arbitrary<'add' | 'ignored' | 'tool'>,
    name,
  }),
  fc.record({
    kind: fc.constantFrom('lock-dir', 'empty-dir') as fc.Arbitrary<'lock-dir' | 'empty-dir'>,
    name,
  }),
);

// What a command does (anything but remove a directory it did not make), or a file tool's write.
async function apply(dir: string, o: Op): Promise<void> {
  const target = 'file' in o ? join(dir, TRACKED[o.file]!) : join(dir, o.name);
  // A regular file, never through a symbolic link (these tests run as root on some machines: a
  // write through a link to /etc would land there).
  const present = await lstat(target).then(
    (s) => s.isFile(),
    () => false,
  );
  const free = async (p: string) => {
    // A path whose every parent is a directory or missing, and which is not there yet.
    const parts = p.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const st = await lstat(join(dir, ...parts.slice(0, i))).catch(() => undefined);
      if (st && (i === parts.length || !st.isDirectory())) return false;
    }
    return true;
  };
  switch (o.kind) {
    case 'edit':
      if (present) await writeFile(target, `${(await readFile(target, 'utf8')).slice(0, 10)} edited\n`);
      return;
    case 'sneaky':
      // Same size, mtime put back: only ctime tells.
      if (present) {
        const before = await stat(target);
        const bytes = await readFile(target);
        bytes[0] = bytes[0] === 0x58 ? 0x59 : 0x58;
        await writeFile(target, bytes);
        await utimes(target, before.atime, before.mtime);
      }
      return;
    case 'delete':
      if (present) await rm(target);
      return;
    case 'chmod600':
    case 'chmod755':
      if (present) await chmod(target, o.kind === 'chmod600' ? 0o600 : 0o755);
      return;
    case 'symlink':
      if (present) {
        await rm(target);
        await symlink('../nowhere', target);
      }
      return;
    case 'rename':
      if (present && (await free(o.to))) {
        await mkdir(join(dir, o.to, '..'), { recursive: true });
        await rename(target, join(dir, o.to));
      }
      return;
    case 'add':
    case 'ignored': {
      const to = o.kind === 'ignored' ? `${o.name}.log` : o.name;
      if (await free(to)) {
        await mkdir(join(dir, to, '..'), { recursive: true });
        await writeFile(
          join(dir, to),
          o.kind === 'add' ? Buffer.concat([BINARY_V1, Buffer.from(to)]) : 'log\n',
        );
      }
      return;
    }
    case 'empty-dir':
      if (await free(o.name)) await mkdir(join(dir, o.name), { recursive: true });
      return;
    case 'lock-dir':
      await chmod(join(dir, 'src'), 0o700).catch(() => undefined);
      return;
    case 'tool':
      await writeFileInside(dir, `${o.name}.txt`, 'by a tool\n').catch(() => undefined);
      return;
  }
}

// Ops run as the session would: file tools directly, everything else inside a watched command.
async function session(dir: string, ops: readonly Op[], watched = true): Promise<void> {
  for (const o of ops) {
    if (o.kind === 'tool') {
      await apply(dir, o);
      continue;
    }
    await asCommand(dir, () => apply(dir, o), watched ? watch : NO_WATCH);
  }
}

// The server index is the base, the work tree matches its stat cache, and nothing else is there
// (untracked or ignored).
async function gitClean(dir: string, gitDir: string, base: string): Promise<string> {
  const git = async (...args: string[]) =>
    (await runGit(['--git-dir', gitDir, '--work-tree', dir, ...args], { cwd: dir })).stdout;
  return [
    await git('diff-index', '--cached', '--name-only', base),
    await git('diff-files', '--name-only'),
    await git('ls-files', '--others', '--directory'),
  ].join('');
}

test('property: a checkout reset from its feed is a fresh checkout', async () => {
  const ws = fx.workspaces('prop', { poolSize: 0 });
  const fresh = fx.workspaces('prop-fresh', { poolSize: 0 });
  const { baseCommitId: base } = await fresh.prepare({ sessionId: 'f', source: fx.source() });
  const expected = await listing(fresh.dirOf('f'));
  await ws.prepare({ sessionId: 's', source: fx.source() });
  const dir = ws.dirOf('s');
  const gitDir = ws.gitDirOf('s');
  let fed = 0;
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(op, { minLength: 1, maxLength: 6 }),
      fc.array(op, { minLength: 1, maxLength: 6 }),
      // Where a change set runs in each session (none past the end): it records in the feed what
      // the base has of the paths it diffed, and the reset trusts that instead of asking git.
      fc.array(fc.nat(8), { minLength: 2, maxLength: 2 }),
      async (first, second, diffAt) => {
        // Each run starts from a full reset (a failed run leaves no state behind for the shrinker),
        // then two sessions follow one another, each reset from its feed.
        await forgetFeed(gitDir);
        assert.equal(await resetWorkTree(gitDir, dir, base, RUN), 'full');
        for (const [i, ops] of [first, second].entries()) {
          runs++;
          await startFeed(gitDir, base, 'at-base');
          const at = diffAt[i]!;
          await session(dir, ops.slice(0, at));
          if (at <= ops.length) {
            await serverChangeSet(dir, gitDir, base, { maxBuffer: 64 << 20, env: {} });
            await session(dir, ops.slice(at));
          }
          const feed = await readFeedEntries(gitDir, base);
          const way = await resetWorkTree(gitDir, dir, base, RUN);
          if (way === 'feed') fed++;
          // Only a feed the watcher could not follow leaves it to the full reset.
          if (feed?.complete) assert.equal(way, 'feed');
          assert.deepEqual(await listing(dir), expected);
          assert.equal(await gitClean(dir, gitDir, base), '');
        }
      },
    ),
    {
      numRuns: 25,
      // Found by this property: a rename's raw record carries the old file's modes, and the new
      // name was taken for a path of the base.
      examples: [[[{ kind: 'rename', file: 0, to: 'a' }], [{ kind: 'rename', file: 0, to: 'a' }], [0, 1]]],
    },
  );
  assert.ok(fed >= runs * 0.7, `the feed reset ${fed} of ${runs} sessions`);
});

test('what a hostile watched command leaves is gone after a reset from the feed', async () => {
  const ws = fx.workspaces('hostile', { poolSize: 0 });
  const fresh = fx.workspaces('hostile-fresh', { poolSize: 0 });
  const { baseCommitId: base } = await ws.prepare({ sessionId: 'h', source: fx.source() });
  await fresh.prepare({ sessionId: 'f', source: fx.source() });
  const dir = ws.dirOf('h');
  const gitDir = ws.gitDirOf('h');
  const canary = join(fx.root, 'canary.txt');
  await writeFile(canary, 'outside\n');
  await chmod(canary, 0o640);
  await asCommand(
    dir,
    async () => {
      // A tracked file changed with its size and mtime put back.
      const readme = join(dir, 'README.md');
      const before = await stat(readme);
      await writeFile(readme, (await readFile(readme, 'utf8')).replace('Hello', 'Hxllo'));
      await utimes(readme, before.atime, before.mtime);
      await chmod(join(dir, 'script.sh'), 0o600);
      await chmod(join(dir, 'doomed.txt'), 0o755);
      // A link out of the checkout (to a canary, not a system file: tests may run as root).
      await rm(join(dir, 'with space.txt'));
      await symlink(canary, join(dir, 'with space.txt'));
      await writeFile(join(dir, 'debug.log'), 'ignored\n');
      await mkdir(join(dir, 'build', 'deep'), { recursive: true });
      await writeFile(join(dir, 'build', 'deep', 'out.o'), 'ignored too\n');
      await mkdir(join(dir, 'empty-dir'));
      await writeFile(join(dir, 'src', 'new.txt'), 'new\n');
      await chmod(join(dir, 'src'), 0o500);
    },
    watch,
  );
  assert.equal((await readFeedEntries(gitDir, base))?.complete, true);
  assert.equal(await resetWorkTree(gitDir, dir, base, RUN), 'feed');
  assert.deepEqual(await listing(dir), await listing(fresh.dirOf('f')));
  assert.equal(await readFile(canary, 'utf8'), 'outside\n');
  assert.equal((await stat(canary)).mode & 0o777, 0o640);
  assert.equal(await gitClean(dir, gitDir, base), '');
});

test('a repository made inside the checkout drops the feed: the reset walks the tree', async () => {
  const ws = fx.workspaces('nested', { poolSize: 0 });
  const { baseCommitId: base } = await ws.prepare({ sessionId: 'n', source: fx.source() });
  const dir = ws.dirOf('n');
  const gitDir = ws.gitDirOf('n');
  await asCommand(
    dir,
    async () => {
      await mkdir(join(dir, 'nested', '.git'), { recursive: true });
      await writeFile(join(dir, 'nested', '.git', 'HEAD'), 'ref: refs/heads/main\n');
    },
    watch,
  );
  assert.equal(await readFeedEntries(gitDir, base), undefined);
  assert.equal(await resetWorkTree(gitDir, dir, base, RUN), 'full');
  assert.equal(await gitClean(dir, gitDir, base), '');
});

test('a feed started by a walk names only what git sees: the reset walks the tree', async () => {
  const ws = fx.workspaces('walked', { poolSize: 0 });
  const { baseCommitId: base } = await ws.prepare({ sessionId: 'w', source: fx.source() });
  const dir = ws.dirOf('w');
  const gitDir = ws.gitDirOf('w');
  // An unwatched command (the feed dropped), then a walk restarts the feed without the ignored file.
  await asCommand(dir, () => writeFile(join(dir, 'debug.log'), 'ignored\n'));
  await computeChangeSet(dir, base, { serverGitDir: gitDir, tempDir: ws.tempDir });
  assert.equal((await readFeedEntries(gitDir, base))?.complete, false);
  assert.equal(await resetWorkTree(gitDir, dir, base, RUN), 'full');
  assert.equal(await gitClean(dir, gitDir, base), '');
});
