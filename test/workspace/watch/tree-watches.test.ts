// The change watcher's journals (src/workspace/watch/tree-watches.ts): every path a write reached
// is in the journal, and whenever that cannot be promised the journal is unknown, never short.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, rename, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ProcessChangeWatch } from '../../../src/workspace/watch/change-watch.ts';
import { TreeWatches } from '../../../src/workspace/watch/tree-watches.ts';

let base: string;
let watches: TreeWatches;
before(async () => {
  base = await mkdtemp(join(tmpdir(), 'stint-watch-test-'));
  watches = new TreeWatches();
});
after(async () => {
  watches.close();
  await rm(base, { recursive: true, force: true });
});

let n = 0;
async function tree(): Promise<string> {
  const root = join(base, `t${n++}`);
  await mkdir(join(root, 'src', 'deep', 'er'), { recursive: true });
  await mkdir(join(root, '.git'));
  await writeFile(join(root, 'a.txt'), 'a\n');
  await writeFile(join(root, 'src', 'b.txt'), 'b\n');
  await writeFile(join(root, 'src', 'deep', 'er', 'c.txt'), 'c\n');
  return root;
}

const sorted = (xs: readonly string[] | undefined) => [...(xs ?? [])].sort();

test('writes, creates, deletes, renames, modes and times all reach the journal', async () => {
  const root = await tree();
  assert.equal(await watches.begin(root), true);
  await writeFile(join(root, 'src', 'deep', 'er', 'c.txt'), 'changed\n');
  await rm(join(root, 'a.txt'));
  await rename(join(root, 'src', 'b.txt'), join(root, 'src', 'b2.txt'));
  await chmod(join(root, 'src', 'deep'), 0o700);
  await utimes(join(root, 'src', 'deep', 'er', 'c.txt'), 1, 1);
  await symlink('/etc/passwd', join(root, 'link'));
  await mkdir(join(root, 'new', 'inner'), { recursive: true });
  await writeFile(join(root, 'new', 'inner', 'd.txt'), 'd\n');
  await writeFile(join(root, '.git', 'index'), 'not watched\n');
  const journal = await watches.take(root);
  assert.ok(journal);
  for (const p of [
    'src/deep/er/c.txt',
    'a.txt',
    'src/b.txt',
    'src/b2.txt',
    'src/deep',
    'link',
    'new',
    'new/inner/d.txt',
  ]) {
    assert.ok(journal.paths.includes(p), `${p} in ${JSON.stringify(journal.paths)}`);
  }
  assert.ok(!journal.paths.some((p) => p.startsWith('.git')));
  assert.deepEqual(sorted(journal.dirs), ['new', 'new/inner', 'src/deep']);
  // Taken: the next journal starts empty, and the new directories are watched.
  await writeFile(join(root, 'new', 'inner', 'e.txt'), 'e\n');
  assert.deepEqual((await watches.take(root))?.paths, ['new/inner/e.txt']);
  watches.forget(root);
});

test('a directory made and filled by another process is in the journal whole', async () => {
  const root = await tree();
  assert.equal(await watches.begin(root), true);
  // Made faster than the watcher can add a watch on each new directory.
  execFileSync('sh', ['-c', 'mkdir -p x/y/z && echo 1 > x/y/z/f && echo 2 > x/y/g && echo 3 > x/h'], {
    cwd: root,
  });
  const journal = await watches.take(root);
  for (const p of ['x', 'x/y', 'x/y/z', 'x/y/z/f', 'x/y/g', 'x/h']) assert.ok(journal?.paths.includes(p), p);
  watches.forget(root);
});

test('a watched directory renamed away or deleted makes the journal unknown until begin', async () => {
  const root = await tree();
  assert.equal(await watches.begin(root), true);
  await rename(join(root, 'src', 'deep'), join(root, 'moved'));
  assert.equal(await watches.take(root), undefined);
  assert.equal(await watches.begin(root), true);
  await writeFile(join(root, 'moved', 'er', 'c.txt'), 'x\n');
  assert.deepEqual((await watches.take(root))?.paths, ['moved/er/c.txt']);
  await rm(join(root, 'moved'), { recursive: true });
  assert.equal(await watches.take(root), undefined);
  watches.forget(root);
});

test('a name that is not UTF-8 makes the journal unknown', async () => {
  const root = await tree();
  assert.equal(await watches.begin(root), true);
  writeFileSync(Buffer.concat([Buffer.from(`${root}/`), Buffer.from([0x66, 0xff, 0x66])]), 'x');
  assert.equal(await watches.take(root), undefined);
  watches.forget(root);
});

test('more events at once than the overflow mark make every journal unknown', async () => {
  const root = await tree();
  const other = await tree();
  assert.equal(await watches.begin(root), true);
  assert.equal(await watches.begin(other), true);
  // The loop is blocked while another process queues events (alternating names: the kernel merges
  // only identical consecutive events); the watcher then reads them as one batch.
  const script = `const fs=require('node:fs');for(let i=0;i<12000;i++){fs.utimesSync(${JSON.stringify(join(root, 'a.txt'))},i,i);fs.utimesSync(${JSON.stringify(join(root, 'src', 'b.txt'))},i,i)}`;
  execFileSync(process.execPath, ['-e', script]);
  assert.equal(await watches.take(root), undefined);
  assert.equal(await watches.take(other), undefined);
  watches.forget(root);
  watches.forget(other);
});

test('a directory that cannot be read cannot be watched: unknown, never short', {
  skip: process.getuid?.() === 0 && 'root reads every directory',
}, async () => {
  const root = await tree();
  await chmod(join(root, 'src', 'deep'), 0o000);
  try {
    assert.equal(await watches.begin(root), false);
  } finally {
    await chmod(join(root, 'src', 'deep'), 0o755);
  }
});

test('the watcher process answers the same, and a dead one answers unknown', async () => {
  const watch = new ProcessChangeWatch();
  try {
    const root = await tree();
    assert.equal(await watch.begin(root), true);
    await writeFile(join(root, 'src', 'b.txt'), 'changed\n');
    assert.deepEqual((await watch.take(root))?.paths, ['src/b.txt']);
    const pid = watch.pid!;
    process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 50));
    // A new process, which never watched it: unknown.
    assert.equal(await watch.take(root), undefined);
    assert.notEqual(watch.pid, pid);
    // Answered by the new process, which has started (and swept) by then: the answer above may
    // come before it has loaded.
    assert.equal(await watch.begin(root), true);
    // It removed the barrier directory the killed one could not.
    const left = (await readdir(tmpdir())).filter((n) => n.startsWith(`stint-watch-${pid}-`));
    assert.deepEqual(left, []);
    await writeFile(join(root, 'a.txt'), 'changed\n');
    assert.deepEqual((await watch.take(root))?.paths, ['a.txt']);
  } finally {
    watch.close();
  }
});

test('a watched root moved away lets its watches go', async () => {
  const root = await tree();
  const before = watches.watchCount;
  assert.equal(await watches.begin(root), true);
  assert.ok(watches.watchCount > before);
  await rename(root, `${root}-moved`);
  assert.equal(await watches.take(root), undefined);
  assert.equal(watches.watchCount, before);
  assert.equal(await watches.begin(`${root}-moved`), true);
  await writeFile(join(`${root}-moved`, 'a.txt'), 'x\n');
  assert.deepEqual((await watches.take(`${root}-moved`))?.paths, ['a.txt']);
  watches.forget(`${root}-moved`);
  assert.equal(watches.watchCount, before);
});

// Directories under `root` (its .git left out), as the watches should cover them.
async function dirsUnder(root: string): Promise<number> {
  let count = 1;
  for (const e of await readdir(root, { withFileTypes: true, recursive: true })) {
    const rel = join(e.parentPath, e.name).slice(root.length + 1);
    if (e.isDirectory() && rel !== '.git' && !rel.startsWith('.git/')) count++;
  }
  return count;
}

test('a checkout moved away keeps its watches for where it arrives; what changed meanwhile is checked', async () => {
  const root = await tree();
  const before = watches.watchCount;
  assert.equal(await watches.begin(root), true);
  const parked = `${root}-pool`;
  await rename(root, parked);
  assert.equal(await watches.take(root), undefined);
  assert.equal(watches.parkedCount, 1);
  assert.equal(watches.watchCount, before);
  // Meanwhile (a reset in the pool): a directory made and filled, one removed, a mode changed.
  await mkdir(join(parked, 'made', 'inner'), { recursive: true });
  await writeFile(join(parked, 'made', 'inner', 'm.txt'), 'm\n');
  await rm(join(parked, 'src', 'deep'), { recursive: true });
  await chmod(join(parked, 'src'), 0o700);
  const arrived = `${root}-arrived`;
  await rename(parked, arrived);
  assert.equal(await watches.begin(arrived), true);
  assert.equal(watches.parkedCount, 0, 'adopted');
  assert.equal(watches.watchCount - before, await dirsUnder(arrived), 'every directory watched once');
  await writeFile(join(arrived, 'made', 'inner', 'n.txt'), 'n\n');
  await writeFile(join(arrived, 'src', 'y.txt'), 'y\n');
  await mkdir(join(arrived, 'src', 'deep'));
  await writeFile(join(arrived, 'src', 'deep', 'z.txt'), 'z\n');
  assert.deepEqual(sorted((await watches.take(arrived))?.paths), [
    'made/inner/n.txt',
    'src/deep',
    'src/deep/z.txt',
    'src/y.txt',
  ]);
  // Again (libuv names the root's own events after the path it was first watched at).
  await rename(arrived, `${arrived}-pool`);
  assert.equal(await watches.take(arrived), undefined);
  assert.equal(watches.parkedCount, 1);
  await rename(`${arrived}-pool`, `${arrived}-2`);
  assert.equal(await watches.begin(`${arrived}-2`), true);
  assert.equal(watches.parkedCount, 0, 'adopted again');
  assert.equal(watches.watchCount - before, await dirsUnder(`${arrived}-2`));
  await writeFile(join(`${arrived}-2`, 'a.txt'), 'again\n');
  assert.deepEqual((await watches.take(`${arrived}-2`))?.paths, ['a.txt']);
  watches.forget(`${arrived}-2`);
  assert.equal(watches.watchCount, before);
});

test('a directory replaced while its checkout was away: the whole tree is watched afresh, never half', async () => {
  const root = await tree();
  const before = watches.watchCount;
  assert.equal(await watches.begin(root), true);
  await rename(root, `${root}-away`);
  await rm(join(`${root}-away`, 'src'), { recursive: true });
  await mkdir(join(`${root}-away`, 'src'));
  await rename(`${root}-away`, `${root}-back`);
  assert.equal(await watches.begin(`${root}-back`), true);
  assert.equal(watches.parkedCount, 0);
  assert.equal(watches.watchCount - before, await dirsUnder(`${root}-back`));
  await writeFile(join(`${root}-back`, 'src', 'w.txt'), 'w\n');
  assert.deepEqual((await watches.take(`${root}-back`))?.paths, ['src/w.txt']);
  watches.forget(`${root}-back`);

  // Moved away, then removed: its dead watches are never taken for a directory made later.
  const gone = await tree();
  assert.equal(await watches.begin(gone), true);
  await rename(gone, `${gone}-x`);
  await watches.take(gone);
  await rm(`${gone}-x`, { recursive: true });
  const fresh = await tree();
  assert.equal(await watches.begin(fresh), true);
  assert.equal(watches.watchCount - before, await dirsUnder(fresh));
  await writeFile(join(fresh, 'src', 'deep', 'er', 'v.txt'), 'v\n');
  assert.deepEqual((await watches.take(fresh))?.paths, ['src/deep/er/v.txt']);
  watches.forget(fresh);
  // A forget at a parked checkout's new path drops its watches too (a full reset rewrites it).
  const pooled = await tree();
  assert.equal(await watches.begin(pooled), true);
  const parked = watches.parkedCount;
  await rename(pooled, `${pooled}-p`);
  await watches.take(pooled);
  assert.equal(watches.parkedCount, parked + 1);
  watches.forget(`${pooled}-p`);
  assert.equal(watches.parkedCount, parked);
});
