import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bwrapArgs } from '../../src/sandbox/bubblewrap/bwrap-args.ts';

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
