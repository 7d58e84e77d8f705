// Session workspaces from a mirror: fresh and pooled checkouts, shared fetches, isolation between
// sessions, rebuilding a removed checkout, removal and pins. Real git repositories in temp dirs.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { readBaseMarker } from '../../src/workspace/checkout.ts';
import { computeChangeSet } from '../../src/workspace/patch.ts';
import { workspacesFixture } from './fixture.ts';
import { git, worktreeTree, writeFiles } from './helpers.ts';

const fx = workspacesFixture();
const workspaces = (name: string, poolSize = 0) =>
  fx.workspaces(name, {
    poolSize,
    fetchIntervalMs: 0, // these tests push and expect the next session to see it
    onBackgroundError: (e) => console.error('POOLERR', e),
  });
const source = (branch?: string, url?: string) => fx.source(branch, url);

// The bound fails a hang; a busy machine is slow, and the wait ends as soon as fn holds.
async function waitFor(fn: () => Promise<boolean>, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(50);
  }
}

test('a checkout of the starting branch: its own objects, depth 1, origin without credentials', async () => {
  const ws = workspaces('fresh');
  const prepared = await ws.prepare({ sessionId: 's1', source: source('feature') });
  assert.deepEqual(prepared, { baseCommitId: fx.remote.featureCommit, via: 'materialized' });
  const dir = ws.dirOf('s1');
  assert.equal(await readFile(join(dir, 'FEATURE.md'), 'utf8'), 'feature branch only\n');
  assert.equal(await git(dir, 'rev-parse', 'HEAD'), fx.remote.featureCommit);
  assert.equal(await git(dir, 'symbolic-ref', 'HEAD'), 'refs/heads/feature');
  assert.equal(await git(dir, 'rev-parse', 'origin/feature'), fx.remote.featureCommit);
  assert.equal(await git(dir, 'remote', 'get-url', 'origin'), fx.remote.url);
  assert.equal(existsSync(join(dir, '.git', 'objects', 'info', 'alternates')), false);
  assert.equal(await git(dir, 'status', '--porcelain'), '');
  assert.equal(await readBaseMarker(dir), fx.remote.featureCommit);
  // Again (a restart): the checkout is kept as it is.
  await writeFile(join(dir, 'work.txt'), 'in progress\n');
  assert.equal((await ws.prepare({ sessionId: 's1', source: source('feature') })).via, 'existing');
  assert.equal(await readFile(join(dir, 'work.txt'), 'utf8'), 'in progress\n');
});

test('two sessions on one source at once share a fetch and each see only their own changes', async () => {
  const ws = workspaces('two');
  const mirror = ws.mirrors.get(source().identity);
  const [a, b] = await Promise.all([
    ws.prepare({ sessionId: 'a', source: source() }),
    ws.prepare({ sessionId: 'b', source: source() }),
  ]);
  assert.equal(a.baseCommitId, fx.remote.mainCommit);
  assert.equal(b.baseCommitId, fx.remote.mainCommit);
  const f1 = mirror.fetch(source().remote);
  const f2 = mirror.fetch(source().remote);
  assert.equal(f1, f2, 'a fetch under way is shared');
  await f1;
  await writeFiles(ws.dirOf('a'), { 'a.txt': 'A\n' });
  await writeFiles(ws.dirOf('b'), { 'b.txt': 'B\n', 'README.md': 'changed by b\n' });
  const changesA = await computeChangeSet(ws.dirOf('a'), a.baseCommitId);
  const changesB = await computeChangeSet(ws.dirOf('b'), b.baseCommitId);
  assert.deepEqual(
    changesA.files.map((f) => f.path),
    ['a.txt'],
  );
  assert.deepEqual(changesB.files.map((f) => f.path).sort(), ['README.md', 'b.txt']);
});

test('the warm pool hands out ready checkouts, moved to the tip after a push', async () => {
  const ws = workspaces('pool', 1);
  const first = await ws.prepare({ sessionId: 'p1', source: source() });
  assert.equal(first.via, 'materialized');
  const poolDir = join(ws.dir, '.pool');
  const ready = async () => {
    const { readdir } = await import('node:fs/promises');
    for (const m of (await readdir(poolDir).catch(() => [])).filter((n) => !n.startsWith('.'))) {
      for (const b of await readdir(join(poolDir, m)).catch(() => [])) {
        const entries = (await readdir(join(poolDir, m, b)).catch(() => [])).filter((n) => n !== '.used');
        if (entries.length > 0) return true;
      }
    }
    return false;
  };
  await waitFor(ready);
  const second = await ws.prepare({ sessionId: 'p2', source: source() });
  assert.equal(second.via, 'pool');
  assert.equal(await worktreeTree(ws.dirOf('p2')), await git(ws.dirOf('p1'), 'rev-parse', 'HEAD^{tree}'));
  assert.equal(existsSync(join(ws.dirOf('p2'), '.git', 'stint-pool')), false);

  // Someone pushes: the next session starts from the new tip, from a pooled checkout moved there.
  const seed = join(fx.root, 'seed');
  await writeFiles(seed, { 'NEW.md': 'pushed later\n' });
  await git(seed, 'checkout', '--quiet', '-B', 'main', fx.remote.mainCommit);
  await git(seed, 'add', '-A');
  await git(seed, 'commit', '--quiet', '-m', 'Later');
  const later = await git(seed, 'rev-parse', 'HEAD');
  await git(seed, 'push', '--quiet', '--', fx.remote.url, 'HEAD:refs/heads/main');
  try {
    await waitFor(ready);
    const third = await ws.prepare({ sessionId: 'p3', source: source() });
    assert.equal(third.baseCommitId, later);
    assert.equal(third.via, 'pool');
    assert.equal(await readFile(join(ws.dirOf('p3'), 'NEW.md'), 'utf8'), 'pushed later\n');
    assert.equal(await git(ws.dirOf('p3'), 'status', '--porcelain'), '');
    assert.equal(await git(ws.dirOf('p3'), 'rev-parse', 'HEAD'), later);
  } finally {
    await git(
      seed,
      'push',
      '--quiet',
      '--force',
      '--',
      fx.remote.url,
      `${fx.remote.mainCommit}:refs/heads/main`,
    );
  }
});

test('a removed checkout is rebuilt at its base with its changes; pins follow the sessions', async () => {
  const ws = workspaces('rebuild');
  const { baseCommitId } = await ws.prepare({ sessionId: 'r1', source: source() });
  const dir = ws.dirOf('r1');
  await writeFiles(dir, { 'added.txt': 'new\n', 'src/app.js': 'export const answer = 43;\n' });
  const changes = await computeChangeSet(dir, baseCommitId);
  const before = await worktreeTree(dir);
  await ws.remove('r1');
  assert.equal(existsSync(dir), false);
  const again = await ws.prepare({
    sessionId: 'r1',
    source: { ...source(), baseCommitId },
    restorePatch: changes.unidiffPatch,
  });
  assert.equal(again.baseCommitId, baseCommitId);
  assert.equal(await worktreeTree(dir), before);

  const mirror = ws.mirrors.get(source().identity);
  assert.deepEqual(await mirror.pins('base/'), ['r1']);
  await ws.prunePins(async (id) => id !== 'r1');
  assert.deepEqual(await mirror.pins('base/'), []);
  assert.equal(await ws.removeIf('r1', async () => false), false);
  assert.equal(existsSync(dir), true);
});

test('a repoless checkout has the same empty base commit everywhere', async () => {
  const ws = workspaces('repoless');
  const a = await ws.prepare({ sessionId: 'e1' });
  const b = await ws.prepare({ sessionId: 'e2', restorePatch: '' });
  assert.equal(a.via, 'empty');
  assert.equal(a.baseCommitId, b.baseCommitId);
});

test('unsafe branches and missing branches are refused before anything is checked out', async () => {
  const ws = workspaces('hostile');
  const pwned = join(fx.root, 'pwned');
  for (const branch of [`--upload-pack=touch ${pwned}`, '../x', '-b', 'a..b']) {
    await assert.rejects(ws.prepare({ sessionId: 'h1', source: source(branch) }), /unsafe branch/);
  }
  await assert.rejects(ws.prepare({ sessionId: 'h1', source: source('nope') }), /does not exist/);
  assert.equal(existsSync(pwned), false);
  assert.equal(existsSync(ws.dirOf('h1')), false);
});

test('a 5,000-file repository: pooled checkouts are complete and clean, a one-line edit is a one-file patch', async () => {
  const root = join(fx.root, 'big');
  const seed = join(root, 'seed');
  const files: Record<string, string> = {};
  for (let i = 0; i < 5000; i++) files[`src/d${Math.floor(i / 100)}/f${i}.txt`] = `file ${i}\n`;
  await writeFiles(seed, files);
  await git(seed, 'init', '--quiet');
  await git(seed, 'add', '-A');
  await git(seed, 'commit', '--quiet', '-m', 'big');
  const url = join(root, 'big.git');
  await git(root, 'clone', '--quiet', '--bare', '--', seed, url);
  const ws = workspaces('big-ws', 1);
  const big = { ...source('main', url), identity: { ...source().identity, sourceId: 'git/acme/big', url } };
  await ws.prepare({ sessionId: 'b1', source: big });
  await waitFor(async () => {
    const { readdir } = await import('node:fs/promises');
    const pools = await readdir(join(ws.dir, '.pool')).catch(() => []);
    for (const m of pools.filter((n) => !n.startsWith('.'))) {
      for (const b of await readdir(join(ws.dir, '.pool', m))) {
        if ((await readdir(join(ws.dir, '.pool', m, b))).some((e) => e !== '.used')) return true;
      }
    }
    return false;
  }, 120_000);
  const second = await ws.prepare({ sessionId: 'b2', source: big });
  assert.equal(second.via, 'pool');
  const dir = ws.dirOf('b2');
  assert.equal((await git(dir, 'ls-files')).split('\n').length, 5000);
  assert.equal(await git(dir, 'status', '--porcelain'), '');
  await writeFile(join(dir, 'src/d7/f777.txt'), 'file 777, edited\n');
  const changes = await computeChangeSet(dir, second.baseCommitId);
  assert.deepEqual(
    changes.files.map((f) => [f.path, f.status, f.additions, f.deletions]),
    [['src/d7/f777.txt', 'modified', 1, 1]],
  );
});
