/**
 * The mode reset before a checkout is reused: directories get a fresh checkout's mode, files in a
 * mode a fresh checkout would not have are removed (the reset writes them again), symlinks are not
 * followed, and names that are not UTF-8 are handled byte for byte, with `find` and, without it,
 * with the walk in Node.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, lstatSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DIR_MODE, resetModes } from '../../src/workspace/mode-reset.ts';
import { makeTempDir } from '../support/server.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const FILE = 0o666 & ~process.umask();
const EXEC = 0o777 & ~process.umask();

function tree(): { root: string; outside: string; oddName: Buffer } {
  const base = makeTempDir('stint-mode-reset-');
  dirs.push(base);
  const root = join(base, 'checkout');
  const outside = join(base, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'target'), 'x');
  chmodSync(join(outside, 'target'), 0o600);
  mkdirSync(join(root, 'a', 'b', 'c'), { recursive: true });
  writeFileSync(join(root, 'plain.txt'), 'p');
  writeFileSync(join(root, 'tool.sh'), 't');
  chmodSync(join(root, 'tool.sh'), EXEC);
  writeFileSync(join(root, 'a', 'private'), 's');
  chmodSync(join(root, 'a', 'private'), 0o600);
  writeFileSync(join(root, 'a', 'b', 'setuid'), 's');
  chmodSync(join(root, 'a', 'b', 'setuid'), 0o4755);
  writeFileSync(join(root, 'a', 'b', 'c', 'keep'), 'k');
  symlinkSync(join(outside, 'target'), join(root, 'link'));
  symlinkSync(outside, join(root, 'dirlink'));
  const oddName = Buffer.concat([Buffer.from(join(root, 'a', 'odd-')), Buffer.from([0xff, 0xfe])]);
  writeFileSync(oddName, 'o');
  chmodSync(oddName, 0o640);
  chmodSync(join(root, 'a', 'b', 'c'), 0o000);
  chmodSync(join(root, 'a', 'b'), 0o500);
  chmodSync(join(root, 'a'), 0o711);
  return { root, outside, oddName };
}

async function check(run: () => Promise<void>) {
  const { root, outside, oddName } = tree();
  await run();
  for (const d of ['', 'a', 'a/b', 'a/b/c'])
    assert.equal(lstatSync(join(root, d)).mode & 0o7777, DIR_MODE, d);
  assert.equal(lstatSync(join(root, 'plain.txt')).mode & 0o7777, FILE);
  assert.equal(lstatSync(join(root, 'tool.sh')).mode & 0o7777, EXEC);
  assert.ok(existsSync(join(root, 'a', 'b', 'c', 'keep')));
  for (const gone of ['a/private', 'a/b/setuid']) assert.ok(!existsSync(join(root, gone)), gone);
  assert.ok(!existsSync(oddName), 'a file whose name is not UTF-8');
  // Symlinks stay, and what they point at is untouched.
  assert.ok(lstatSync(join(root, 'link')).isSymbolicLink());
  assert.equal(lstatSync(join(outside, 'target')).mode & 0o7777, 0o600);
  assert.ok(existsSync(join(outside, 'target')));
}

test('with find: wrong directory modes put back, wrong file modes removed, symlinks not followed', async () => {
  await check(() => resetModes(join(dirs.at(-1)!, 'checkout')));
});

test('without find on PATH the walk in Node does the same', async () => {
  const path = process.env.PATH;
  await check(async () => {
    process.env.PATH = '';
    try {
      await resetModes(join(dirs.at(-1)!, 'checkout'));
    } finally {
      process.env.PATH = path;
    }
  });
});
