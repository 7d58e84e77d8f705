// Why a remote could not be read decides whether the client may retry (503) or must fix something (400).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyRemoteFailure } from '../../src/sources/remote-failure.ts';
import { GitError } from '../../src/workspace/git-error.ts';

const gitFailure = (stderr: string, reason?: 'timeout') =>
  new GitError({
    args: ['ls-remote', '--', 'https://host/x.git'],
    exitCode: reason ? null : 128,
    stderr,
    reason,
  });

test('git: refused credentials, a missing repository, and anything else', () => {
  const denied = [
    "fatal: Authentication failed for 'https://host/x.git/'",
    "fatal: could not read Username for 'https://host': terminal prompts disabled",
    'git@host: Permission denied (publickey).',
    "fatal: unable to access 'https://host/x.git/': The requested URL returned error: 403",
  ];
  for (const e of denied) assert.equal(classifyRemoteFailure(gitFailure(e)), 'denied', e);
  const missing = [
    "remote: Repository not found.\nfatal: repository 'https://host/x.git/' not found",
    "fatal: '/tmp/none.git' does not appear to be a git repository",
    "fatal: unable to access 'https://host/x.git/': The requested URL returned error: 404",
  ];
  for (const e of missing) assert.equal(classifyRemoteFailure(gitFailure(e)), 'missing', e);
  const unreachable = [
    "fatal: unable to access 'https://host/x.git/': Failed to connect to host port 443: Connection refused",
    "fatal: unable to access 'https://host/x.git/': Could not resolve host: host",
    "fatal: unable to access 'https://host/x.git/': The requested URL returned error: 502",
  ];
  for (const e of unreachable) assert.equal(classifyRemoteFailure(gitFailure(e)), 'unreachable', e);
  assert.equal(classifyRemoteFailure(gitFailure('', 'timeout')), 'unreachable');
});

test('host APIs: the HTTP status decides; a rate limit is a wait, not a refusal', () => {
  const octokit = (status: number, headers: Record<string, string> = {}, message = 'x') =>
    Object.assign(new Error(message), { status, response: { status, headers } });
  assert.equal(classifyRemoteFailure(octokit(401)), 'denied');
  assert.equal(classifyRemoteFailure(octokit(403)), 'denied');
  assert.equal(classifyRemoteFailure(octokit(404)), 'missing');
  assert.equal(classifyRemoteFailure(octokit(403, { 'x-ratelimit-remaining': '0' })), 'unreachable');
  assert.equal(classifyRemoteFailure(octokit(403, {}, 'API rate limit exceeded for 1.2.3.4')), 'unreachable');
  assert.equal(classifyRemoteFailure(octokit(429)), 'unreachable');
  assert.equal(classifyRemoteFailure(octokit(500)), 'unreachable');
  // gitbeaker keeps the response under `cause`.
  const gitbeaker = Object.assign(new Error('Unauthorized'), { cause: { response: { status: 401 } } });
  assert.equal(classifyRemoteFailure(gitbeaker), 'denied');
  // A network error has no status and no git text.
  assert.equal(classifyRemoteFailure(new TypeError('fetch failed')), 'unreachable');
  assert.equal(classifyRemoteFailure(undefined), 'unreachable');
});

test('a provider error that wraps the host API error keeps its status', () => {
  const api = Object.assign(new Error('GitLab API error 401: invalid token'), { status: 401 });
  assert.equal(
    classifyRemoteFailure(new Error('cannot read the branches of acme/x', { cause: api })),
    'denied',
  );
  const gone = Object.assign(new Error('Gitea API error 404: not found'), { status: 404 });
  assert.equal(
    classifyRemoteFailure(new Error('cannot read the branches of acme/x', { cause: gone })),
    'missing',
  );
});
