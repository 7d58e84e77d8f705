import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { bwrapArgs, copiedFiles } from '../../src/sandbox/bubblewrap/bwrap-args.ts';

test('read-only paths under the private /tmp are bound after the tmpfs, so they stay visible', () => {
  const args = bwrapArgs({
    root: '/srv/ws/s1',
    cwd: '/srv/ws/s1',
    network: false,
    readOnlyPaths: ['/usr', '/tmp/eval/oracle', '/run/tools'],
    home: '/tmp/home',
    tmpBytes: 0,
    features: { userns: true, disableUserns: true, tmpfsSize: true },
  });
  const at = (flag: string, path: string) => args.findIndex((a, i) => a === flag && args[i + 1] === path);
  assert.ok(at('--ro-bind-try', '/usr') < at('--tmpfs', '/tmp'));
  assert.ok(at('--ro-bind-try', '/tmp/eval/oracle') > at('--tmpfs', '/tmp'));
  assert.ok(at('--ro-bind-try', '/run/tools') > at('--tmpfs', '/run'));
  assert.ok(at('--bind', '/srv/ws/s1') > at('--ro-bind-try', '/tmp/eval/oracle'));
});

test('copied files are given as descriptors 3, 4, … read-only, in their place; the rest stay bound', () => {
  const args = bwrapArgs({
    root: '/srv/ws/s1',
    cwd: '/srv/ws/s1',
    network: false,
    readOnlyPaths: ['/usr', '/etc/passwd', '/etc/ssl/certs', '/etc/hosts'],
    copiedFiles: ['/etc/passwd', '/etc/hosts'],
    home: '/tmp/home',
    tmpBytes: 0,
    features: { userns: true, disableUserns: true, tmpfsSize: true },
  });
  const joined = args.join(' ');
  assert.match(
    joined,
    /--perms 0444 --file 3 \/etc\/passwd --ro-bind-try \/etc\/ssl\/certs \/etc\/ssl\/certs --perms 0444 --file 4 \/etc\/hosts/,
  );
  assert.doesNotMatch(joined, /--ro-bind-try \/etc\/(passwd|hosts)/);
});

test('copiedFiles: small regular files (through symlinks), not directories, large or missing files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stint-copied-'));
  try {
    writeFileSync(join(dir, 'small'), 'x');
    writeFileSync(join(dir, 'large'), Buffer.alloc(300 * 1024));
    symlinkSync(join(dir, 'small'), join(dir, 'link'));
    const paths = ['small', 'large', 'link', 'missing'].map((n) => join(dir, n));
    mkdirSync(join(dir, 'sub'));
    assert.deepEqual(copiedFiles([...paths, join(dir, 'sub'), '/usr']), [
      join(dir, 'small'),
      join(dir, 'link'),
    ]);
    // Inside another read-only path (a bound directory): bound with it, as bwrap cannot create it there.
    assert.deepEqual(copiedFiles([dir, join(dir, 'small')]), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
