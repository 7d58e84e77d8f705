/** The setup cache on disk and its key: hits and misses, copy-on-write restores, isolation, restarts, eviction. */
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { SetupCache } from '../../src/setup/setup-cache.ts';
import { planSetup } from '../../src/setup/setup-plan.ts';
import { makeTempDir } from '../support/server.ts';

const root = makeTempDir('stint-setup-cache-');
after(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
const ACME = { tenantId: 'acme', sourceId: 'github/acme/app' };
const KEY_A = 'a'.repeat(64);
const KEY_B = 'b'.repeat(64);
const KEY_C = 'c'.repeat(64);

function cacheAt(
  dir: string,
  opts: Partial<{ maxBytes: number; entriesPerSource: number; spares: number }> = {},
) {
  return new SetupCache({ root: dir, maxBytes: 1024 ** 3, entriesPerSource: 3, spares: 1, ...opts });
}

/** A checkout with `deps/` (what setup made) and a tracked file. */
function checkout(content = 'built'): string {
  const dir = join(root, `co-${n++}`);
  mkdirSync(join(dir, 'deps', 'pkg'), { recursive: true });
  writeFileSync(join(dir, 'deps', 'pkg', 'index.js'), content);
  writeFileSync(join(dir, 'README.md'), 'tracked');
  return dir;
}

function emptyCheckout(): string {
  const dir = join(root, `co-${n++}`);
  mkdirSync(dir);
  return dir;
}

test('a restored copy is the session’s own: writes to it reach neither the cache nor the next session', async () => {
  const cache = cacheAt(join(root, 'cow'));
  const saved = await cache.save(ACME, KEY_A, checkout(), ['deps']);
  assert.deepEqual(saved?.paths, ['deps']);
  await cache.settle(); // a spare is ready
  const one = emptyCheckout();
  const r1 = await cache.restore(ACME, KEY_A, one);
  assert.equal(r1?.via, 'spare');
  const file1 = join(one, 'deps', 'pkg', 'index.js');
  assert.equal(readFileSync(file1, 'utf8'), 'built');
  writeFileSync(file1, 'corrupted'); // in place, as a command could
  rmSync(join(one, 'deps', 'pkg'), { recursive: true });
  // No spare left yet (or the refilled one): either way the next session gets the original.
  const two = emptyCheckout();
  const r2 = await cache.restore(ACME, KEY_A, two);
  assert.ok(r2);
  const file2 = join(two, 'deps', 'pkg', 'index.js');
  assert.equal(readFileSync(file2, 'utf8'), 'built');
  assert.notEqual(
    statSync(file2).ino,
    statSync(join(cache.entryDir(ACME, KEY_A), 'master', 'deps', 'pkg', 'index.js')).ino,
  );
  await cache.close();
});

test('a restore without a spare copies; a path the checkout already has is left alone', async () => {
  const cache = cacheAt(join(root, 'copy'), { spares: 0 });
  await cache.save(ACME, KEY_A, checkout(), ['deps', 'README.md']);
  const dest = emptyCheckout();
  writeFileSync(join(dest, 'README.md'), 'the repository’s own');
  const r = await cache.restore(ACME, KEY_A, dest);
  assert.equal(r?.via, 'copy');
  assert.deepEqual(r?.paths, ['deps']);
  assert.equal(readFileSync(join(dest, 'README.md'), 'utf8'), 'the repository’s own');
  await cache.close();
});

test('entries belong to one tenant and source; the cache survives a restart', async () => {
  const dir = join(root, 'iso');
  const cache = cacheAt(dir);
  await cache.save(ACME, KEY_A, checkout(), ['deps']);
  await cache.close();
  assert.equal(
    await cache.restore({ tenantId: 'rival', sourceId: ACME.sourceId }, KEY_A, emptyCheckout()),
    undefined,
  );
  assert.equal(
    await cache.restore({ tenantId: 'acme', sourceId: 'github/acme/other' }, KEY_A, emptyCheckout()),
    undefined,
  );
  // A new process on the same data dir.
  const again = cacheAt(dir);
  const dest = emptyCheckout();
  assert.ok(await again.restore(ACME, KEY_A, dest));
  assert.equal(readFileSync(join(dest, 'deps', 'pkg', 'index.js'), 'utf8'), 'built');
  // A forged entry in another tenant's place (its meta says whose it is) is not restored.
  const forged = again.entryDir({ tenantId: 'rival', sourceId: ACME.sourceId }, KEY_A);
  mkdirSync(join(forged, '..'), { recursive: true });
  rmSync(forged, { recursive: true, force: true });
  const { cpSync } = await import('node:fs');
  cpSync(again.entryDir(ACME, KEY_A), forged, { recursive: true });
  assert.equal(
    await again.restore({ tenantId: 'rival', sourceId: ACME.sourceId }, KEY_A, emptyCheckout()),
    undefined,
  );
  await again.close();
});

test('eviction: at most N keys per source, and the least recently used go past the size bound', async () => {
  const dir = join(root, 'evict');
  const cache = cacheAt(dir, { entriesPerSource: 2, spares: 0 });
  const age = (key: string, secondsAgo: number) => {
    const t = new Date(Date.now() - secondsAgo * 1000);
    utimesSync(join(cache.entryDir(ACME, key), 'used'), t, t);
  };
  await cache.save(ACME, KEY_A, checkout(), ['deps']);
  age(KEY_A, 30);
  await cache.save(ACME, KEY_B, checkout(), ['deps']);
  age(KEY_B, 20);
  await cache.restore(ACME, KEY_A, emptyCheckout()); // A is now the most recently used
  await cache.save(ACME, KEY_C, checkout(), ['deps']);
  await cache.settle();
  assert.ok(existsSync(cache.entryDir(ACME, KEY_A)));
  assert.ok(!existsSync(cache.entryDir(ACME, KEY_B)), 'the least recently used key went');
  assert.ok(existsSync(cache.entryDir(ACME, KEY_C)));
  await cache.close();

  // A size bound that holds one entry: saving another evicts the older one (in any source).
  const one = (await cacheAt(dir).entries())[0]!.meta.bytes;
  const small = cacheAt(join(root, 'evict-size'), { maxBytes: Math.floor(one * 1.5), spares: 0 });
  await small.save(ACME, KEY_A, checkout(), ['deps']);
  await small.save({ tenantId: 'acme', sourceId: 'github/acme/second' }, KEY_B, checkout(), ['deps']);
  await small.settle();
  assert.ok(!existsSync(small.entryDir(ACME, KEY_A)));
  assert.ok(existsSync(small.entryDir({ tenantId: 'acme', sourceId: 'github/acme/second' }, KEY_B)));
  assert.ok((await small.totalBytes()) <= Math.floor(one * 1.5));
  await small.close();
});

test('paths reached through a symlink are neither cached nor restored', async () => {
  const cache = cacheAt(join(root, 'links'));
  const outside = join(root, 'outside');
  mkdirSync(join(outside, 'secret'), { recursive: true });
  writeFileSync(join(outside, 'secret', 'key'), 'host file');
  const co = checkout();
  symlinkSync(outside, join(co, 'escape'));
  assert.equal(await cache.save(ACME, KEY_A, co, ['escape/secret']), undefined);
  await cache.save(ACME, KEY_B, checkout(), ['deps/pkg']);
  const dest = emptyCheckout();
  symlinkSync(outside, join(dest, 'deps'));
  const r = await cache.restore(ACME, KEY_B, dest);
  assert.deepEqual(r?.paths, []);
  assert.ok(!existsSync(join(outside, 'pkg')), 'nothing was written through the link');
  await cache.close();
});

test('the key: same lockfile and commands, same key; a changed lockfile or command, another', async () => {
  const ctx = {
    tenantId: 'acme',
    sourceId: 'github/acme/app',
    sandboxKind: 'bubblewrap',
    defaultTimeoutMs: 60_000,
  };
  const co = emptyCheckout();
  writeFileSync(join(co, 'package-lock.json'), '{"v":1}');
  writeFileSync(join(co, 'requirements-dev.txt'), 'pytest');
  writeFileSync(join(co, 'README.md'), 'one');
  const key = async (commands = ['npm ci']) => (await planSetup(co, { commands }, ctx))!.cache!;
  const first = await key();
  assert.deepEqual(first.keyFiles, ['package-lock.json', 'requirements-dev.txt']);
  writeFileSync(join(co, 'README.md'), 'two');
  assert.equal((await key()).key, first.key, 'other files do not count');
  assert.notEqual((await key(['npm ci --ignore-scripts'])).key, first.key);
  writeFileSync(join(co, 'package-lock.json'), '{"v":2}');
  assert.notEqual((await key()).key, first.key);
  // A lockfile that is a symlink is not read.
  rmSync(join(co, 'package-lock.json'));
  symlinkSync('/etc/hostname', join(co, 'package-lock.json'));
  assert.deepEqual((await key()).keyFiles, ['requirements-dev.txt']);
  // Another tenant's key differs for the same files.
  assert.notEqual(
    (await planSetup(co, { commands: ['npm ci'] }, { ...ctx, tenantId: 'rival' }))!.cache!.key,
    (await key()).key,
  );
  assert.equal(await planSetup(co, {}, ctx), undefined, 'no commands, no script: no setup');
  assert.equal((await planSetup(co, { commands: ['x'], cache: false }, ctx))!.cache, undefined);
});

test("discard moves a finished session's setup outputs out of its checkout, and nothing through a symlink", async () => {
  const cache = cacheAt(join(root, 'discard'));
  const co = checkout();
  const outside = join(root, 'discard-outside');
  mkdirSync(join(outside, 'x'), { recursive: true });
  symlinkSync(outside, join(co, 'link'));
  await cache.discard(co, ['deps', 'link/x', '../escape', 'missing']);
  assert.ok(!existsSync(join(co, 'deps')));
  assert.ok(existsSync(join(co, 'README.md')));
  assert.ok(existsSync(join(outside, 'x')), 'nothing outside the checkout moved');
  await cache.settle();
  const { readdirSync } = await import('node:fs');
  assert.deepEqual(
    readdirSync(cache.root).filter((n) => n.startsWith('.tmp-')),
    [],
    'removed in the background',
  );
  await cache.close();
});
