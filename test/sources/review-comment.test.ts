// Review-comment webhooks, without a server: each host's signature (good, wrong secret, tampered
// body, missing), the comment read out of each host's event payload, the handle mention, and the
// sessions a comment may belong to.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import {
  candidateSessions,
  mentions,
  readReviewComment,
  verifySignature,
} from '../../src/sources/reviews/review-comment.ts';

const SECRET = 'whsec-test';
const body = Buffer.from('{"hello":"world"}');
const hex = (secret: string, b: Buffer) => createHmac('sha256', secret).update(b).digest('hex');

test('signatures: GitHub HMAC, GitLab token, Gitea and Forgejo HMAC; anything else is refused', () => {
  assert.ok(
    verifySignature('github', { 'x-hub-signature-256': `sha256=${hex(SECRET, body)}` }, body, SECRET),
  );
  assert.ok(
    !verifySignature('github', { 'x-hub-signature-256': `sha256=${hex('other', body)}` }, body, SECRET),
  );
  assert.ok(
    !verifySignature(
      'github',
      { 'x-hub-signature-256': `sha256=${hex(SECRET, body)}` },
      Buffer.from('{}'),
      SECRET,
    ),
  );
  assert.ok(!verifySignature('github', {}, body, SECRET));
  assert.ok(
    !verifySignature('github', { 'x-hub-signature-256': hex(SECRET, body) }, body, SECRET),
    'needs sha256=',
  );
  assert.ok(verifySignature('gitlab', { 'x-gitlab-token': SECRET }, body, SECRET));
  assert.ok(!verifySignature('gitlab', { 'x-gitlab-token': `${SECRET}x` }, body, SECRET));
  assert.ok(!verifySignature('gitlab', {}, body, SECRET));
  assert.ok(verifySignature('gitea', { 'x-gitea-signature': hex(SECRET, body) }, body, SECRET));
  assert.ok(verifySignature('gitea', { 'x-forgejo-signature': hex(SECRET, body) }, body, SECRET));
  assert.ok(!verifySignature('gitea', { 'x-gitea-signature': hex('other', body) }, body, SECRET));
  assert.ok(!verifySignature('gitea', { 'x-gitlab-token': SECRET }, body, SECRET));
});

test('comments are read from each host’s events; other events are not comments', () => {
  const pr = 'https://github.example/acme/widgets/pull/1';
  assert.deepEqual(
    readReviewComment(
      'github',
      { 'x-github-event': 'issue_comment' },
      {
        action: 'created',
        issue: { html_url: pr, body: 'See http://stint/sessions/abc', pull_request: { html_url: pr } },
        comment: { body: '@stint fix it', user: { login: 'alice' } },
      },
    ),
    { reviewUrl: pr, body: '@stint fix it', author: 'alice', reviewBody: 'See http://stint/sessions/abc' },
  );
  // A comment on an issue (not a pull request), an edit, another event: nothing.
  const issue = {
    action: 'created',
    issue: { html_url: pr },
    comment: { body: '@stint', user: { login: 'a' } },
  };
  assert.equal(readReviewComment('github', { 'x-github-event': 'issue_comment' }, issue), undefined);
  assert.equal(
    readReviewComment('github', { 'x-github-event': 'issue_comment' }, { ...issue, action: 'edited' }),
    undefined,
  );
  assert.equal(readReviewComment('github', { 'x-github-event': 'push' }, {}), undefined);
  assert.equal(
    readReviewComment('github', { 'x-github-event': 'issue_comment' }, 'not an object'),
    undefined,
  );
  assert.deepEqual(
    readReviewComment(
      'github',
      { 'x-github-event': 'pull_request_review_comment' },
      {
        action: 'created',
        pull_request: { html_url: pr, head: { ref: 'stint/abc' } },
        comment: { body: 'line 3: @stint rename', user: { login: 'bob' } },
      },
    ),
    { reviewUrl: pr, body: 'line 3: @stint rename', author: 'bob', headRef: 'stint/abc' },
  );
  const mr = 'https://gitlab.example/acme/widgets/-/merge_requests/4';
  assert.deepEqual(
    readReviewComment(
      'gitlab',
      { 'x-gitlab-event': 'Note Hook' },
      {
        object_kind: 'note',
        user: { username: 'carol' },
        object_attributes: { note: '@stint please', noteable_type: 'MergeRequest' },
        merge_request: { url: mr, source_branch: 'stint/xyz', description: 'd' },
      },
    ),
    { reviewUrl: mr, body: '@stint please', author: 'carol', headRef: 'stint/xyz', reviewBody: 'd' },
  );
  assert.equal(
    readReviewComment(
      'gitlab',
      {},
      {
        object_kind: 'note',
        object_attributes: { note: 'x', noteable_type: 'Issue' },
        merge_request: { url: mr },
      },
    ),
    undefined,
  );
  const gpr = 'https://gitea.example/forge/gadgets/pulls/2';
  assert.deepEqual(
    readReviewComment(
      'gitea',
      { 'x-gitea-event': 'issue_comment' },
      {
        action: 'created',
        is_pull: true,
        issue: { html_url: gpr, body: 'b', pull_request: { merged: false } },
        comment: { body: '@stint go', user: { login: 'dave' } },
      },
    ),
    { reviewUrl: gpr, body: '@stint go', author: 'dave', reviewBody: 'b' },
  );
  assert.equal(
    readReviewComment(
      'gitea',
      { 'x-gitea-event': 'issue_comment' },
      { action: 'created', is_pull: false, issue: { html_url: gpr }, comment: { body: '@stint' } },
    ),
    undefined,
  );
});

test('the handle must be mentioned as a whole name', () => {
  assert.ok(mentions('@stint please rename', '@stint'));
  assert.ok(mentions('Thanks.\n@Stint: one more thing', '@stint'));
  assert.ok(mentions('(@stint)', '@stint'));
  assert.ok(!mentions('@stinty please', '@stint'));
  assert.ok(!mentions('@stint-bot please', '@stint'));
  assert.ok(!mentions('mail me at a@stint.example', '@stint'));
  assert.ok(!mentions('stint please', '@stint'));
  assert.ok(mentions('@stint-bot please', '@stint-bot'));
});

test('a comment may belong to the session of its head branch or of a session link in the description', () => {
  assert.deepEqual(
    candidateSessions({ reviewUrl: 'u', body: 'b', author: 'a', headRef: 'stint/abc' }, 'stint/'),
    ['abc'],
  );
  assert.deepEqual(
    candidateSessions({ reviewUrl: 'u', body: 'b', author: 'a', headRef: 'feature/x' }, 'stint/'),
    [],
    'a branch Stint did not push names no session',
  );
  assert.deepEqual(
    candidateSessions(
      {
        reviewUrl: 'u',
        body: 'b',
        author: 'a',
        reviewBody: 'Session: http://h/sessions/123 and /sessions/456.',
      },
      'stint/',
    ),
    ['123', '456'],
  );
});
