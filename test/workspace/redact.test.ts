import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GitError, redactUrl } from '../../src/workspace/git.ts';
import { hasUrlUserinfo, redactSecrets, stripUrlUserinfo } from '../../src/workspace/redact.ts';

test('redactUrl hides userinfo and nothing else', () => {
  assert.equal(redactUrl('https://user:tok3n@github.com/a/b.git'), 'https://***@github.com/a/b.git');
  assert.equal(redactUrl('https://x-access-token:ghs_abc@github.com/a/b'), 'https://***@github.com/a/b');
  assert.equal(redactUrl('https://tok@en@github.com/a/b'), 'https://***@github.com/a/b');
  assert.equal(redactUrl('https://github.com/a/b.git'), 'https://github.com/a/b.git');
  assert.equal(redactUrl('git@github.com:a/b.git'), 'git@github.com:a/b.git');
  assert.equal(redactUrl('/srv/repos/x.git'), '/srv/repos/x.git');
});

test('redactSecrets handles URLs inside messages', () => {
  const msg =
    "fatal: unable to access 'https://u:secret@host/x.git/': Could not resolve host; mail me@example.com";
  const out = redactSecrets(msg);
  assert.ok(!out.includes('secret'));
  assert.ok(out.includes("'https://***@host/x.git/'"));
  assert.ok(out.includes('me@example.com'));
});

test('stripUrlUserinfo / hasUrlUserinfo', () => {
  assert.equal(stripUrlUserinfo('https://u:p@h/x.git'), 'https://h/x.git');
  assert.equal(hasUrlUserinfo('https://u:p@h/x.git'), true);
  assert.equal(hasUrlUserinfo('https://h/x.git'), false);
  assert.equal(hasUrlUserinfo('git@h:x.git'), false);
});

test('GitError never carries credentials', () => {
  const err = new GitError({
    args: ['clone', '--', 'https://bob:hunter2@example.com/r.git', '/tmp/x'],
    exitCode: 128,
    stderr: "fatal: repository 'https://bob:hunter2@example.com/r.git/' not found\n",
  });
  assert.ok(!err.message.includes('hunter2'));
  assert.ok(!err.stderr.includes('hunter2'));
  assert.ok(!err.args.join(' ').includes('hunter2'));
  assert.equal(err.exitCode, 128);
  assert.match(err.message, /exit code 128/);
  assert.ok(err instanceof Error);
  assert.equal(err.name, 'GitError');
});
