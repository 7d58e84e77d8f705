// Reused checkouts: a finished session's checkout goes back to its source's pool and is reset for
// the next session. Nothing the previous session left may reach the next one (files, modes,
// symlinks, ignored files, its .git), none of the server's git calls may honour what the previous
// agent wrote in .git, a reset that fails half-way is never served, and a session's patch in a
// reused checkout is the patch it would have in a fresh one.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import {
  chmod,
  lstat,
  mkdir,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { writeFileInside } from '../../src/agents/tools/files.ts';
import { dropFeed } from '../../src/workspace/change-feed.ts';
import { runGit } from '../../src/workspace/git.ts';
import { computeChangeSet } from '../../src/workspace/patch.ts';
import { serverGitDirFor } from '../../src/workspace/server-git.ts';
import type { Workspaces } from '../../src/workspace/workspaces.ts';
import { workspacesFixture } from './fixture.ts';
import { asCommand, BINARY_V1, git, listing } from './helpers.ts';

const fx = workspacesFixture();
// The pool's background reset must not race the test's own takes: it starts 250 ms after a take.
const workspaces = (name: string, poolSize = 1) => fx.workspaces(name, { poolSize });
const source = (branch?: string) => fx.source(branch);

async function changeSet(ws: Workspaces, id: string, base: string) {
  return computeChangeSet(ws.dirOf(id), base, { serverGitDir: ws.gitDirOf(id), tempDir: ws.tempDir });
}

/** What a hostile agent leaves behind in its checkout. */
async function hostileSession(dir: string, canary: string): Promise<void> {
  // A tracked file changed with its size and mtime put back.
  const readme = join(dir, 'README.md');
  const before = await stat(readme);
  const original = await readFile(readme, 'utf8');
  await writeFile(readme, original.replace('Hello', 'Hxllo'));
  await utimes(readme, before.atime, before.mtime);
  assert.equal((await stat(readme)).size, before.size);
  // Modes, symlinks, untracked, ignored and nested files.
  await chmod(join(dir, 'script.sh'), 0o600);
  await chmod(join(dir, 'doomed.txt'), 0o755);
  await rm(join(dir, 'with space.txt'));
  await symlink('/etc/passwd', join(dir, 'with space.txt'));
  await rm(join(dir, 'src'), { recursive: true });
  await symlink('/etc', join(dir, 'src'));
  await writeFile(join(dir, 'debug.log'), 'ignored\n');
  await mkdir(join(dir, 'build', 'deep'), { recursive: true });
  await writeFile(join(dir, 'build', 'deep', 'out.o'), 'ignored too\n');
  await writeFile(join(dir, 'untracked.txt'), 'left behind\n');
  await mkdir(join(dir, 'nested', '.git'), { recursive: true });
  await writeFile(join(dir, 'nested', '.git', 'HEAD'), 'ref: refs/heads/main\n');
  await mkdir(join(dir, 'empty-dir'));
  // Its .git: a commit, and config that would run commands in any git that honours it.
  await git(dir, 'commit', '--quiet', '-am', 'agent commit');
  const hook = join(dir, '.git', 'evil.sh');
  await writeFile(hook, `#!/bin/sh\necho pwned >> ${canary}\n`);
  await chmod(hook, 0o755);
  await writeFile(
    join(dir, '.git', 'config'),
    `[core]\n\tfsmonitor = ${hook}\n\thooksPath = ${join(dir, '.git')}\n` +
      `[filter "x"]\n\tclean = ${hook}\n\tsmudge = ${hook}\n[diff "x"]\n\ttextconv = ${hook}\n` +
      `[diff]\n\texternal = ${hook}\n`,
  );
  await mkdir(join(dir, '.git', 'info'), { recursive: true });
  await writeFile(join(dir, '.git', 'info', 'attributes'), '* filter=x diff=x\n');
  await mkdir(join(dir, '.git', 'objects', 'info'), { recursive: true });
  await writeFile(join(dir, '.git', 'objects', 'info', 'alternates'), '/etc\n');
  for (const name of ['post-checkout', 'pre-commit', 'reference-transaction']) {
    await writeFile(join(dir, '.git', name), `#!/bin/sh\necho pwned >> ${canary}\n`);
  }
}

test('a reused checkout keeps nothing of the previous session, and no git call honours its .git', async () => {
  const ws = workspaces('leaks');
  const fresh = workspaces('leaks-fresh', 0);
  const canary = join(fx.root, 'canary');
  const first = await ws.prepare({ sessionId: 'a1', source: source() });
  await asCommand(ws.dirOf('a1'), () => hostileSession(ws.dirOf('a1'), canary));
  // The change set of the hostile session runs no command either.
  await changeSet(ws, 'a1', first.baseCommitId);
  await ws.release('a1');
  assert.equal(existsSync(ws.dirOf('a1')), false);
  assert.equal(existsSync(ws.gitDirOf('a1')), false);

  const next = await ws.prepare({ sessionId: 'a2', source: source() });
  assert.equal(next.via, 'pool');
  assert.equal(next.baseCommitId, fx.remote.mainCommit);
  const clean = await fresh.prepare({ sessionId: 'f1', source: source() });
  assert.equal(clean.via, 'materialized');
  assert.deepEqual(await listing(ws.dirOf('a2')), await listing(fresh.dirOf('f1')));
  const dir = ws.dirOf('a2');
  assert.equal(await git(dir, 'status', '--porcelain', '--ignored', '--untracked-files=all'), '');
  assert.equal(await git(dir, 'rev-list', '--count', 'HEAD'), '1');
  assert.equal(await git(dir, 'rev-parse', 'HEAD'), fx.remote.mainCommit);
  assert.equal(await git(dir, 'symbolic-ref', 'HEAD'), 'refs/heads/main');
  assert.equal(existsSync(join(dir, '.git', 'evil.sh')), false);
  assert.equal(existsSync(join(dir, '.git', 'objects', 'info', 'alternates')), false);
  assert.deepEqual((await changeSet(ws, 'a2', next.baseCommitId)).files, []);
  assert.equal(existsSync(canary), false, 'a command from the agent-written .git ran');
});

test('directory modes the previous session changed are put back, locked directories included', async () => {
  const ws = workspaces('dir-modes');
  const fresh = workspaces('dir-modes-fresh', 0);
  await ws.prepare({ sessionId: 'm1', source: source() });
  const dir = ws.dirOf('m1');
  await asCommand(dir, async () => {
    // A tracked file changed inside a directory then made read-only: the reset must write in it.
    await writeFile(join(dir, 'src', 'app.js'), 'changed\n');
    await chmod(join(dir, 'src'), 0o500);
    // An untracked tree the agent locked (no search or read permission): clean must get through.
    await mkdir(join(dir, 'locked', 'inner'), { recursive: true });
    await writeFile(join(dir, 'locked', 'inner', 'secret.txt'), 'left behind\n');
    await chmod(join(dir, 'locked', 'inner'), 0o000);
    await chmod(join(dir, 'locked'), 0o311);
    await chmod(dir, 0o700);
  });
  await ws.release('m1');

  const next = await ws.prepare({ sessionId: 'm2', source: source() });
  assert.equal(next.via, 'pool');
  await fresh.prepare({ sessionId: 'f1', source: source() });
  assert.deepEqual(await listing(ws.dirOf('m2')), await listing(fresh.dirOf('f1')));
  assert.equal((await stat(ws.dirOf('m2'))).mode & 0o7777, (await stat(fresh.dirOf('f1'))).mode & 0o7777);
});

test('the change set ignores a base marker forged inside the checkout', async () => {
  const ws = workspaces('forged', 0);
  const { baseCommitId } = await ws.prepare({ sessionId: 'b1', source: source() });
  await writeFile(join(ws.dirOf('b1'), '.git', 'stint-base'), `${fx.remote.featureCommit}\n`);
  assert.equal(await ws.baseOf('b1'), baseCommitId);
  assert.equal((await ws.prepare({ sessionId: 'b1', source: source() })).baseCommitId, baseCommitId);
});

test('two sessions on one source at once, and a reuse while the other works: each sees only its own changes', async () => {
  const ws = workspaces('concurrent', 2);
  const [a, b] = await Promise.all([
    ws.prepare({ sessionId: 'c1', source: source() }),
    ws.prepare({ sessionId: 'c2', source: source() }),
  ]);
  // One through the file tools (the change feed), one as a command would (the feed dropped).
  await writeFileInside(ws.dirOf('c1'), 'one.txt', 'one\n');
  await dropFeed(ws.gitDirOf('c2'));
  await writeFile(join(ws.dirOf('c2'), 'two.txt'), 'two\n');
  await writeFile(join(ws.dirOf('c2'), 'README.md'), 'two was here\n');
  const [ca, cb] = await Promise.all([
    changeSet(ws, 'c1', a.baseCommitId),
    changeSet(ws, 'c2', b.baseCommitId),
  ]);
  assert.deepEqual(
    ca.files.map((f) => f.path),
    ['one.txt'],
  );
  assert.deepEqual(
    cb.files.map((f) => f.path),
    ['README.md', 'two.txt'],
  );
  await ws.release('c1');
  const c = await ws.prepare({ sessionId: 'c3', source: source() });
  assert.equal(c.via, 'pool');
  await writeFileInside(ws.dirOf('c3'), 'three.txt', 'three\n');
  assert.deepEqual(
    (await changeSet(ws, 'c3', c.baseCommitId)).files.map((f) => f.path),
    ['three.txt'],
  );
  assert.deepEqual(
    (await changeSet(ws, 'c2', b.baseCommitId)).files.map((f) => f.path),
    ['README.md', 'two.txt'],
  );
});

/** The one entry of the pool of a workspaces with a single source and branch. */
async function onlyPoolEntry(
  ws: Workspaces,
): Promise<{ poolRoot: string; branchDir: string; entry: string }> {
  const poolRoot = join(ws.dir, '.pool');
  const [mirrorName] = (await readdir(poolRoot)).filter((n) => !n.startsWith('.'));
  const branchDir = join(poolRoot, mirrorName!, (await readdir(join(poolRoot, mirrorName!)))[0]!);
  const [entry] = (await readdir(branchDir)).filter((n) => !n.startsWith('.'));
  return { poolRoot, branchDir, entry: entry! };
}

test('a reset that stops half-way (crash) leaves nothing a session would use', async () => {
  const ws = workspaces('crash');
  await ws.prepare({ sessionId: 'd1', source: source() });
  await writeFile(join(ws.dirOf('d1'), 'README.md'), 'dirty\n');
  await writeFile(join(ws.dirOf('d1'), 'stray.txt'), 'stray\n');
  await ws.release('d1');
  await ws.pool.close(); // no background reset from here on
  // A process claims the entry to reset it and dies half-way (the agent's .git already gone).
  const { poolRoot, branchDir, entry } = await onlyPoolEntry(ws);
  const crashed = join(poolRoot, '.tmp-crashed');
  await rename(join(branchDir, entry), crashed);
  await rm(join(crashed, 'tree', '.git'), { recursive: true });

  const ws2 = workspaces('crash'); // a new process on the same data dir
  await ws2.prepare({ sessionId: 'd2', source: source() });
  assert.ok(existsSync(join(crashed, 'tree')), 'the half-reset checkout was handed out');
  assert.equal(await readFile(join(ws2.dirOf('d2'), 'README.md'), 'utf8'), '# Demo\n\nHello.\n');
  assert.equal(existsSync(join(ws2.dirOf('d2'), 'stray.txt')), false);
  // The leftover is swept once it is old enough to be surely abandoned.
  await ws2.pool.sweep(Date.now() + 2 * 3600_000);
  assert.equal(existsSync(crashed), false);
});

test('an entry named the way an earlier version named them (its state in a file) is reset before use, whatever the file says', async () => {
  const ws = workspaces('legacy');
  await ws.prepare({ sessionId: 'l1', source: source() });
  await asCommand(ws.dirOf('l1'), async () => {
    await writeFile(join(ws.dirOf('l1'), 'README.md'), 'left by l1\n');
    await writeFile(join(ws.dirOf('l1'), 'stray.txt'), 'stray\n');
  });
  await ws.release('l1');
  await ws.pool.close(); // no background reset from here on
  const { branchDir, entry } = await onlyPoolEntry(ws);
  assert.match(entry, /\.dirty$/);
  // As an earlier version left it: a bare id, and a state file claiming a clean checkout.
  await rename(join(branchDir, entry), join(branchDir, 'a1b2c3d4e5f6'));
  await writeFile(join(branchDir, 'a1b2c3d4e5f6', 'state'), `clean ${fx.remote.mainCommit}\n`);

  const ws2 = workspaces('legacy'); // the new version on the same data dir
  assert.equal((await ws2.prepare({ sessionId: 'l2', source: source() })).via, 'pool');
  assert.equal(await readFile(join(ws2.dirOf('l2'), 'README.md'), 'utf8'), '# Demo\n\nHello.\n');
  assert.equal(existsSync(join(ws2.dirOf('l2'), 'stray.txt')), false);
});

test('a pooled checkout whose reset fails is dropped, never served', async () => {
  const ws = workspaces('broken');
  await ws.prepare({ sessionId: 'e1', source: source() });
  await asCommand(ws.dirOf('e1'), () => writeFile(join(ws.dirOf('e1'), 'README.md'), 'dirty\n'));
  // Damage the server's index: the reset cannot trust anything any more.
  await writeFile(join(ws.gitDirOf('e1'), 'index'), 'garbage');
  await ws.release('e1');
  const next = await ws.prepare({ sessionId: 'e2', source: source() });
  assert.equal(await readFile(join(ws.dirOf('e2'), 'README.md'), 'utf8'), '# Demo\n\nHello.\n');
  assert.deepEqual((await changeSet(ws, 'e2', next.baseCommitId)).files, []);
});

/** Entries of the index at `indexFile` that git must hash again: not older than the index (seconds). */
async function racyEntries(dir: string, indexFile: string): Promise<string[]> {
  const indexSecond = Math.floor((await stat(indexFile)).mtimeMs / 1000);
  const out = (await runGit(['ls-files', '--debug'], { cwd: dir, env: { GIT_INDEX_FILE: indexFile } }))
    .stdout;
  const racy: string[] = [];
  let path = '';
  for (const line of out.split('\n')) {
    const mtime = /^\s+mtime: (\d+):/.exec(line);
    if (!/^\s/.test(line)) path = line;
    else if (mtime !== null && Number(mtime[1]) >= indexSecond) racy.push(path);
  }
  return racy;
}

test("a reused checkout comes with an index git trusts: no entry is hashed again by the agent's git status", async () => {
  const ws = workspaces('settled');
  await ws.prepare({ sessionId: 's1', source: source() });
  const built = Math.floor(Date.now() / 1000);
  await ws.release('s1');
  await ws.pool.close();
  // A new checkout's files and index are written in the same second (all racy); its reset for the
  // next session, in a later second, refreshes the index once.
  while (Math.floor(Date.now() / 1000) <= built) await sleep(50);
  assert.equal((await ws.prepare({ sessionId: 's2', source: source() })).via, 'pool');
  const dir = ws.dirOf('s2');
  assert.deepEqual(await racyEntries(dir, join(ws.gitDirOf('s2'), 'index')), []);
  assert.deepEqual(await racyEntries(dir, join(dir, '.git', 'index')), []);
  assert.equal(await git(dir, 'status', '--porcelain'), '');
});

test('a new checkout is settled before the session has it, and a change made at once is still seen', async () => {
  const ws = workspaces('settled-new');
  const prepared = await ws.prepare({ sessionId: 'n1', source: source() });
  const dir = ws.dirOf('n1');
  // No refresh read the files: the index was dated after them, since nothing touched them.
  assert.deepEqual(await racyEntries(dir, join(ws.gitDirOf('n1'), 'index')), []);
  assert.deepEqual(await racyEntries(dir, join(dir, '.git', 'index')), []);
  assert.equal(await git(dir, 'status', '--porcelain'), '');
  // Within the index's own second: same size, and the file's times put back; as a command would
  // (no change feed: the change set walks the tree on the index's stat data).
  await dropFeed(ws.gitDirOf('n1'));
  const readme = join(dir, 'README.md');
  const before = await stat(readme);
  const original = await readFile(readme, 'utf8');
  await writeFile(
    readme,
    original.replace(/^./, (c) => (c === 'X' ? 'Y' : 'X')),
  );
  await utimes(readme, before.atime, before.mtime);
  assert.equal(await git(dir, 'status', '--porcelain'), 'M README.md');
  const changes = await changeSet(ws, 'n1', prepared.baseCommitId);
  assert.deepEqual(
    changes.files.map((f) => f.path),
    ['README.md'],
  );
});

test('a checkout moved to another commit (its branch moved on) has its index settled again', async () => {
  const ws = workspaces('settled-move');
  const main = { ...source('feature'), baseCommitId: fx.remote.mainCommit };
  const nextSecond = async () => {
    const now = Math.floor(Date.now() / 1000);
    while (Math.floor(Date.now() / 1000) <= now) await sleep(50);
  };
  await ws.prepare({ sessionId: 'm1', source: main });
  await ws.release('m1');
  await ws.pool.close();
  await nextSecond();
  await ws.prepare({ sessionId: 'm2', source: main }); // settled at the main commit
  await ws.release('m2');
  await nextSecond();
  // To the branch's tip: FEATURE.md written in the same second as the index.
  await ws.prepare({ sessionId: 'm3', source: source('feature') });
  await ws.release('m3');
  await nextSecond();
  await ws.prepare({ sessionId: 'm4', source: source('feature') });
  const dir = ws.dirOf('m4');
  assert.equal(await readFile(join(dir, 'FEATURE.md'), 'utf8'), 'feature branch only\n');
  assert.deepEqual(await racyEntries(dir, join(ws.gitDirOf('m4'), 'index')), []);
  assert.deepEqual(await racyEntries(dir, join(dir, '.git', 'index')), []);
});

test('a checkout given back on one commit is reset to another for the next session', async () => {
  const ws = workspaces('move');
  await ws.prepare({ sessionId: 'g1', source: source('feature') });
  await writeFile(join(ws.dirOf('g1'), 'FEATURE.md'), 'changed\n');
  await ws.release('g1');
  await ws.pool.close();
  const prepared = await ws.prepare({
    sessionId: 'g2',
    source: { ...source('feature'), baseCommitId: fx.remote.mainCommit },
  });
  assert.equal(prepared.baseCommitId, fx.remote.mainCommit);
  assert.equal(existsSync(join(ws.dirOf('g2'), 'FEATURE.md')), false);
  assert.equal(await git(ws.dirOf('g2'), 'rev-parse', 'HEAD'), fx.remote.mainCommit);
  assert.deepEqual((await changeSet(ws, 'g2', prepared.baseCommitId)).files, []);
});

type Op =
  | { kind: 'edit'; file: number; text: string }
  | { kind: 'delete'; file: number }
  | { kind: 'rename'; file: number; to: string }
  | { kind: 'chmod'; file: number; exec: boolean }
  | { kind: 'symlink'; file: number; to: string }
  | { kind: 'binary'; name: string; bytes: Uint8Array }
  | { kind: 'add'; name: string; text: string };

const TRACKED = ['README.md', 'src/app.js', 'image.bin', 'old-name.txt', 'doomed.txt', 'script.sh'];
const name = fc.stringMatching(/^[a-z]{1,6}(\/[a-z]{1,6})?\.(txt|bin)$/);
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('edit' as const), file: fc.nat(5), text: fc.string({ maxLength: 40 }) }),
  fc.record({ kind: fc.constant('delete' as const), file: fc.nat(5) }),
  fc.record({ kind: fc.constant('rename' as const), file: fc.nat(5), to: name }),
  fc.record({ kind: fc.constant('chmod' as const), file: fc.nat(5), exec: fc.boolean() }),
  fc.record({ kind: fc.constant('symlink' as const), file: fc.nat(5), to: name }),
  fc.record({
    kind: fc.constant('binary' as const),
    name,
    bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }),
  }),
  fc.record({ kind: fc.constant('add' as const), name, text: fc.string({ maxLength: 40 }) }),
);

// What a command in the sandbox does: anything, so the change feed is dropped first.
async function apply(dir: string, ops: readonly Op[]): Promise<void> {
  await dropFeed(serverGitDirFor(dir));
  for (const o of ops) {
    const target = 'file' in o ? join(dir, TRACKED[o.file]!) : join(dir, o.name);
    const present = await lstat(target).then(
      (s) => s.isFile(),
      () => false,
    );
    switch (o.kind) {
      case 'edit':
        if (present) await writeFile(target, `${(await readFile(target, 'utf8')).slice(0, 20)}${o.text}\n`);
        break;
      case 'delete':
        if (present) await rm(target);
        break;
      case 'rename':
        if (present && !existsSync(join(dir, o.to.split('/')[0]!))) {
          await mkdir(join(dir, o.to, '..'), { recursive: true });
          await rename(target, join(dir, o.to));
        }
        break;
      case 'chmod':
        if (present) await chmod(target, o.exec ? 0o755 : 0o644);
        break;
      case 'symlink':
        // A tracked file turned into a symlink (the next session's reset must bring the file back).
        if (present) {
          await rm(target);
          await symlink(o.to, target);
        }
        break;
      case 'binary':
      case 'add':
        if (!existsSync(join(dir, o.name.split('/')[0]!))) {
          await mkdir(join(dir, o.name, '..'), { recursive: true });
          await writeFile(target, o.kind === 'add' ? `${o.text}\n` : Buffer.concat([BINARY_V1, o.bytes]));
        }
        break;
    }
  }
}

test('property: the patch in a reused checkout equals the patch in a fresh one', async () => {
  const ws = workspaces('prop');
  const fresh = workspaces('prop-fresh', 0);
  let n = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 8 }), async (ops) => {
      n++;
      const reused = await ws.prepare({ sessionId: `r${n}`, source: source() });
      const made = await fresh.prepare({ sessionId: `f${n}`, source: source() });
      try {
        await apply(ws.dirOf(`r${n}`), ops);
        await apply(fresh.dirOf(`f${n}`), ops);
        const [a, b] = [
          await changeSet(ws, `r${n}`, reused.baseCommitId),
          await changeSet(fresh, `f${n}`, made.baseCommitId),
        ];
        assert.equal(a.unidiffPatch, b.unidiffPatch);
        assert.deepEqual(a.files, b.files);
        assert.equal(a.via, 'walk');
        // A file tool's write after the walk: the next computation looks at the feed's paths only,
        // and agrees as well.
        await writeFileInside(ws.dirOf(`r${n}`), 'late.txt', 'late\n');
        await writeFileInside(fresh.dirOf(`f${n}`), 'late.txt', 'late\n');
        const [c, d] = [
          await changeSet(ws, `r${n}`, reused.baseCommitId),
          await changeSet(fresh, `f${n}`, made.baseCommitId),
        ];
        assert.equal(c.unidiffPatch, d.unidiffPatch);
        assert.deepEqual(c.files, d.files);
        assert.equal(c.via, 'feed');
      } finally {
        // The reused checkout goes back dirty: the next run's session starts from it.
        await ws.release(`r${n}`);
        await fresh.remove(`f${n}`);
      }
    }),
    { numRuns: 12 },
  );
  assert.ok(n >= 12);
});

test('one mirror fetch per burst: a session right after a fetch skips it unless it needs what is missing', async () => {
  const ws = fx.workspaces('burst', { poolSize: 0, fetchIntervalMs: 3600_000 });
  const src = source('main');
  const mirror = ws.mirrors.get(src.identity);
  await ws.prepare({ sessionId: 'h1', source: src });
  const fetchedAt = mirror.lastFetchAt;
  // A push after the burst's fetch: a session of the same burst keeps the fetched tip.
  const seed = join(fx.root, 'seed');
  await writeFile(join(seed, 'PUSHED.md'), 'pushed\n');
  await git(seed, 'add', '-A');
  await git(seed, 'commit', '--quiet', '-m', 'Pushed');
  const pushed = await git(seed, 'rev-parse', 'HEAD');
  await git(seed, 'push', '--quiet', '--', fx.remote.url, 'HEAD:refs/heads/burst');
  const second = await ws.prepare({ sessionId: 'h2', source: src });
  assert.equal(second.baseCommitId, fx.remote.mainCommit);
  assert.equal(mirror.lastFetchAt, fetchedAt, 'fetched again within the interval');
  // An explicit commit the mirror lacks, or a branch it does not know, still fetches.
  const explicit = await ws.prepare({ sessionId: 'h3', source: { ...src, baseCommitId: pushed } });
  assert.equal(explicit.baseCommitId, pushed);
  assert.ok(mirror.lastFetchAt >= fetchedAt);
  await git(seed, 'push', '--quiet', '--', fx.remote.url, 'HEAD:refs/heads/burst-2');
  const unknown = await ws.prepare({ sessionId: 'h4', source: source('burst-2') });
  assert.equal(unknown.baseCommitId, pushed);
});
