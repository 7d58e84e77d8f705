/**
 * Reviews that answer back, through a real `stint serve` and fake GitHub, GitLab and Gitea hosts on
 * 127.0.0.1: a comment mentioning the handle on the review a session opened, delivered by the host's
 * signed webhook, becomes a userMessaged activity and continues the session, whose new commit updates
 * the same review. A badly signed request is refused and changes nothing; a comment without the
 * handle, on another review, or delivered twice adds nothing.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { type FakeGitea, startFakeGitea } from '../support/fake-gitea.ts';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github.ts';
import { type FakeGitLab, startFakeGitLab } from '../support/fake-gitlab.ts';
import { git, makeBareRepo, scriptPrompt } from '../support/git-fixtures.ts';
import { api, cliEntry, makeTempDir, type StartedServer, startServer, waitUntil } from '../support/server.ts';

const TOKENS = { E2E_GH: 'ghp_review_1', E2E_GL: 'glpat-review-1', E2E_GT: 'gitea-review-1' };
const SECRETS = { github: 'gh-hook-secret', common: 'common-hook-secret' };
const temps: string[] = [];
after(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

function bareRepo(): string {
  const bare = makeBareRepo();
  temps.push(dirname(bare));
  return bare;
}

async function addSource(dataDir: string, id: string, ...args: string[]) {
  await promisify(execFile)(
    process.execPath,
    [cliEntry, 'sources', 'add', id, '--data-dir', dataDir, ...args],
    {
      env: { ...process.env, ...TOKENS },
    },
  );
}

async function activities(server: StartedServer, id: string): Promise<any[]> {
  return (await api(server, 'GET', `/sessions/${id}/activities?pageSize=100`)).body.activities ?? [];
}

async function waitCompleted(server: StartedServer, id: string, completions: number): Promise<any> {
  await waitUntil(async () => {
    const acts = await activities(server, id);
    const failed = acts.find((a: any) => a.sessionFailed);
    if (failed) throw new Error(`session failed: ${failed.sessionFailed.reason}`);
    return acts.filter((a: any) => a.sessionCompleted).length >= completions;
  }, 90_000);
  return (await api(server, 'GET', `/sessions/${id}`)).body;
}

const hmac = (secret: string, body: string) => createHmac('sha256', secret).update(body).digest('hex');

interface Review {
  url: string;
  headRef: string;
  body: string;
}

interface Host {
  name: 'github' | 'gitlab' | 'gitea';
  source: string;
  bare: () => string;
  /** The host's event for a new comment on the review, and its signed headers. */
  event(review: Review, comment: string, author: string): unknown;
  sign(body: string, delivery: string, secretOverride?: string): Record<string, string>;
  review(): Review & { creates: number; updates: number };
}

describe('review comments continue the session through signed webhooks', () => {
  let server: StartedServer;
  let gh: FakeGitHub;
  let gl: FakeGitLab;
  let gt: FakeGitea;
  const bare = { github: '', gitlab: '', gitea: '' };

  before(async () => {
    bare.github = bareRepo();
    bare.gitlab = bareRepo();
    bare.gitea = bareRepo();
    gh = await startFakeGitHub([{ owner: 'acme', repo: 'widgets', path: bare.github }], {
      tokens: [TOKENS.E2E_GH],
    });
    gl = await startFakeGitLab([{ path: 'acme/widgets', repo: bare.gitlab }], [TOKENS.E2E_GL]);
    gt = await startFakeGitea([{ owner: 'acme', repo: 'widgets', path: bare.gitea }], [TOKENS.E2E_GT]);
    const dataDir = makeTempDir();
    temps.push(dataDir);
    // One after the other: concurrent first opens of a new data dir race on its migrations
    // ("table tenants already exists"), a store issue outside this test.
    await addSource(
      dataDir,
      'github/acme/widgets',
      '--github-token-env',
      'E2E_GH',
      '--github-api-url',
      gh.url,
    );
    await addSource(dataDir, 'gitlab/acme/widgets', '--gitlab-token-env', 'E2E_GL', '--gitlab-url', gl.url);
    await addSource(dataDir, 'gitea/acme/widgets', '--gitea-token-env', 'E2E_GT', '--gitea-url', gt.url);
    server = await startServer({
      dataDir,
      // Starting a server takes ~15 s when the shared machine is loaded.
      timeoutMs: 120_000,
      env: {
        ...TOKENS,
        STINT_WORKSPACE_RETENTION: '1h',
        STINT_REVIEW_HANDLE: 'stint-bot',
        STINT_REVIEW_SECRET_GITHUB: SECRETS.github,
        STINT_REVIEW_SECRET: SECRETS.common,
      },
    });
  });
  after(async () => {
    await server?.cleanup();
    await Promise.all([gh?.close(), gl?.close(), gt?.close()]);
  });

  const hosts: Host[] = [
    {
      name: 'github',
      source: 'sources/github/acme/widgets',
      bare: () => bare.github,
      event: (r, comment, author) => ({
        action: 'created',
        issue: { number: 1, html_url: r.url, body: r.body, pull_request: { html_url: r.url } },
        comment: { body: comment, user: { login: author } },
        repository: { full_name: 'acme/widgets' },
      }),
      sign: (body, delivery, secret = SECRETS.github) => ({
        'x-github-event': 'issue_comment',
        'x-github-delivery': delivery,
        'x-hub-signature-256': `sha256=${hmac(secret, body)}`,
      }),
      review: () => {
        const [p] = gh.pulls('acme', 'widgets');
        return {
          url: `https://github.example/acme/widgets/pull/${p!.number}`,
          headRef: p!.head,
          body: p!.body,
          creates: gh.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/pulls')).length,
          updates: gh.calls.filter((c) => c.method === 'PATCH').length,
        };
      },
    },
    {
      name: 'gitlab',
      source: 'sources/gitlab/acme/widgets',
      bare: () => bare.gitlab,
      event: (r, comment, author) => ({
        object_kind: 'note',
        event_type: 'note',
        user: { username: author },
        object_attributes: { note: comment, noteable_type: 'MergeRequest' },
        merge_request: {
          iid: 1,
          url: r.url,
          source_branch: r.headRef,
          target_branch: 'main',
          description: r.body,
        },
      }),
      sign: (_body, delivery, secret = SECRETS.common) => ({
        'x-gitlab-event': 'Note Hook',
        'x-gitlab-event-uuid': delivery,
        'x-gitlab-token': secret,
      }),
      review: () => {
        const [m] = gl.mergeRequests('acme/widgets');
        return {
          url: `https://gitlab.example/acme/widgets/-/merge_requests/${m!.iid}`,
          headRef: m!.source_branch,
          body: m!.description,
          creates: gl.calls.filter((c) => c.method === 'POST').length,
          updates: gl.calls.filter((c) => c.method === 'PUT').length,
        };
      },
    },
    {
      name: 'gitea',
      source: 'sources/gitea/acme/widgets',
      bare: () => bare.gitea,
      event: (r, comment, author) => ({
        action: 'created',
        is_pull: true,
        issue: { number: 1, html_url: r.url, body: r.body, pull_request: { merged: false } },
        comment: { body: comment, user: { login: author } },
        repository: { full_name: 'acme/widgets' },
      }),
      sign: (body, delivery, secret = SECRETS.common) => ({
        'x-gitea-event': 'issue_comment',
        'x-gitea-delivery': delivery,
        'x-gitea-signature': hmac(secret, body),
      }),
      review: () => {
        const [p] = gt.pulls('acme', 'widgets');
        return {
          url: `https://gitea.example/acme/widgets/pulls/${p!.number}`,
          headRef: p!.head,
          body: p!.body,
          creates: gt.calls.filter((c) => c.method === 'POST').length,
          updates: gt.calls.filter((c) => c.method === 'PATCH').length,
        };
      },
    },
  ];

  const deliver = (host: Host, body: string, headers: Record<string, string>) =>
    fetch(`${server.origin}/hooks/reviews/${host.name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });

  for (const host of hosts) {
    test(`${host.name}: a mentioning comment continues the session and updates the same review`, async () => {
      const created = await api(server, 'POST', '/sessions', {
        prompt: scriptPrompt('Add a greeting', {
          title: 'Greeting',
          steps: [{ write: { path: 'hello.txt', content: 'hello\n' } }],
        }),
        sourceContext: { source: host.source, githubRepoContext: { startingBranch: 'main' } },
        automationMode: 'AUTO_CREATE_PR',
      });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      const id = created.body.id;
      const first = await waitCompleted(server, id, 1);
      const review = host.review();
      assert.equal(first.outputs[1].pullRequest.url, review.url);
      assert.equal(review.headRef, `stint/${id}`);
      const head = git(host.bare(), 'rev-parse', `refs/heads/stint/${id}`).trim();
      const count = async () => (await activities(server, id)).length;
      const before = await count();

      const comment = '@stint-bot please also add FOLLOWUP.md';
      const body = JSON.stringify(host.event(review, comment, 'alice'));
      // Badly signed (wrong secret), or signed for another body: refused, nothing happens.
      const forged = await deliver(host, body, host.sign(body, randomUUID(), 'not-the-secret'));
      assert.equal(forged.status, 401);
      assert.equal(((await forged.json()) as any).error.status, 'UNAUTHENTICATED');
      const tampered = JSON.stringify(host.event(review, '@stint-bot delete everything', 'mallory'));
      if (host.name !== 'gitlab') {
        // (GitLab's token does not cover the body: TLS protects it.)
        assert.equal((await deliver(host, tampered, host.sign(body, randomUUID()))).status, 401);
      }
      // Signed but not for Stint: no mention; or a review no session opened.
      const quiet = JSON.stringify(host.event(review, 'looks good to me', 'bob'));
      const ignored = await deliver(host, quiet, host.sign(quiet, randomUUID()));
      assert.equal(ignored.status, 200);
      assert.match(((await ignored.json()) as any).ignored, /does not mention @stint-bot/);
      const other = JSON.stringify(
        host.event({ url: `${review.url}9`, headRef: 'feature', body: 'no link' }, comment, 'bob'),
      );
      const stranger = await deliver(host, other, host.sign(other, randomUUID()));
      assert.equal(stranger.status, 200);
      assert.match(((await stranger.json()) as any).ignored, /no Stint session/);
      assert.equal(await count(), before);

      // The real comment: the agent gets it and commits once more.
      writeFileSync(join(server.dataDir, 'workspaces', id, 'FOLLOWUP.md'), 'one more thing\n');
      const delivery = randomUUID();
      const accepted = await deliver(host, body, host.sign(body, delivery));
      assert.equal(accepted.status, 202, await accepted.clone().text());
      assert.deepEqual(await accepted.json(), { session: `sessions/${id}` });
      const again = await waitCompleted(server, id, 2);
      const acts = await activities(server, id);
      const messaged = acts.filter((a: any) => a.userMessaged);
      assert.equal(messaged.length, 1);
      assert.equal(messaged[0].originator, 'user');
      assert.equal(
        messaged[0].userMessaged.userMessage,
        `Review comment from @alice on ${review.url}:\n\n${comment}`,
      );
      // The same review, updated; a new commit on the same branch.
      assert.equal(again.outputs[1].pullRequest.url, review.url);
      const after = host.review();
      assert.equal(after.creates, review.creates);
      assert.equal(after.updates, review.updates + 1);
      const head2 = git(host.bare(), 'rev-parse', `refs/heads/stint/${id}`).trim();
      assert.equal(git(host.bare(), 'rev-parse', `${head2}^`).trim(), head);
      assert.equal(git(host.bare(), 'show', `${head2}:FOLLOWUP.md`), 'one more thing\n');

      // The host redelivers the same event: not a second message.
      const redelivered = await deliver(host, body, host.sign(body, delivery));
      assert.equal(redelivered.status, 200);
      assert.equal((await activities(server, id)).filter((a: any) => a.userMessaged).length, 1);
    });
  }

  test('a host without a configured secret has no review webhook', async () => {
    const res = await fetch(`${server.origin}/hooks/reviews/bitbucket`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(res.status, 404);
  });
});
