/**
 * The pretest (scripts/check-test-deps.mjs) refuses to start the suite when bubblewrap is installed but
 * cannot build a sandbox (isolation would go untested), with the fix on one line, unless the run
 * says STINT_TEST_ALLOW_NO_SANDBOX=1. A `bwrap` shim that behaves like one without user namespaces
 * stands in for such a machine.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

const dir = mkdtempSync(join(tmpdir(), 'stint-pretest-'));
after(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(
  join(dir, 'bwrap'),
  `#!/bin/sh
if [ "$1" = "--version" ]; then echo "bubblewrap 0.8.0"; exit 0; fi
echo "bwrap: No permissions to create new namespace, likely because the kernel does not allow non-privileged user namespaces." >&2
exit 1
`,
);
chmodSync(join(dir, 'bwrap'), 0o755);

function pretest(extra: Record<string, string>) {
  const env: Record<string, string | undefined> = {
    ...process.env,
    PATH: `${dir}:${process.env['PATH']}`,
    ...extra,
  };
  if (!('STINT_TEST_ALLOW_NO_SANDBOX' in extra)) delete env['STINT_TEST_ALLOW_NO_SANDBOX'];
  return spawnSync(process.execPath, ['scripts/check-test-deps.mjs'], {
    env,
    encoding: 'utf8',
    timeout: 120_000,
  });
}

test('a bwrap that cannot build a sandbox fails the pretest with a one-line fix', () => {
  const r = pretest({});
  assert.equal(r.status, 1, `${r.stdout}${r.stderr}`);
  const fix = r.stderr.split('\n').find((l) => l.includes('Fix: '));
  assert.ok(fix, r.stderr);
  assert.match(fix, /isolation would go untested/);
  assert.match(fix, /STINT_TEST_ALLOW_NO_SANDBOX=1/);
});

test('STINT_TEST_ALLOW_NO_SANDBOX=1 lets it pass, loudly', () => {
  const r = pretest({ STINT_TEST_ALLOW_NO_SANDBOX: '1' });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  assert.match(r.stderr, /isolation tests are SKIPPED/);
});

test('on this machine, with the real bwrap, the pretest passes without the escape hatch', {
  skip: process.env['STINT_TEST_ALLOW_NO_SANDBOX'] === '1' ? 'this run allows no sandbox on purpose' : false,
}, () => {
  const env = { ...process.env };
  delete env['STINT_TEST_ALLOW_NO_SANDBOX'];
  const r = spawnSync(process.execPath, ['scripts/check-test-deps.mjs'], {
    env,
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  assert.doesNotMatch(r.stderr, /SKIPPED/);
});
