/**
 * AUTO_CREATE_PR on GitLab and Gitea/Forgejo sources, through a real `stint serve` and fake hosts on
 * 127.0.0.1 that record every call: sources registered by the CLI with a token variable, one merge /
 * pull request opened per session (its URL the host's), the same one updated by a follow-up that adds
 * a commit to the same branch, and a revoked token reported as a clear reason after one API request
 * per attempt, with the change set and the pushed branch kept.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { type FakeGitea, startFakeGitea } from '../support/fake-gitea.ts';
import { type FakeGitLab, startFakeGitLab } from '../support/fake-gitlab.ts';
import { git, makeBareRepo, scriptPrompt } from '../support/git-fixtures.ts';
import { api, cliEntry, makeTempDir, type StartedServer, startServer, waitUntil } from '../support/server.ts';

const GL_TOKEN = 'glpat-e2e-987';
const GT_TOKEN = 'gitea-e2e-987';
const temps: string[] = [];
after(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

function bareRepo(): string {
  const bare = makeBareRepo();
  temps.push(dirname(bare));
  return bare;
}

async function addSource(dataDir: string, id: string, env: Record<string, string>, ...args: string[]) {
  await promisify(execFile)(
    process.execPath,
    [cliEntry, 'sources', 'add', id, '--data-dir', dataDir, ...args],
    {
      env: { ...process.env, ...env },
    },
  );
}

async function activities(server: StartedServer, id: string): Promise<any[]> {
  return (await api(server, 'GET', `/sessions/${id}/activities?pageSize=100`)).body.activities ?? [];
}

async function waitCompleted(server: StartedServer, id: string, completions = 1): Promise<any> {
  await waitUntil(async () => {
    const acts = await activities(server, id);
    const failed = acts.find((a: any) => a.sessionFailed);
    if (failed) throw new Error(`session failed: ${failed.sessionFailed.reason}`);
    return acts.filter((a: any) => a.sessionCompleted).length >= completions;
  }, 90_000);
  return (await api(server, 'GET', `/sessions/${id}`)).body;
}

describe('AUTO_CREATE_PR on GitLab and Gitea', () => {
  let server: StartedServer;
  let gl: FakeGitLab;
  let gt: FakeGitea;
  const bare = { gitlab: '', gitea: '', revoked: '' };

  before(async () => {
    bare.gitlab = bareRepo();
    bare.gitea = bareRepo();
    bare.revoked = bareRepo();
    gl = await startFakeGitLab(
      [
        { path: 'acme/platform/widgets', repo: bare.gitlab },
        { path: 'acme/revoked', repo: bare.revoked },
      ],
      [GL_TOKEN],
    );
    gt = await startFakeGitea([{ owner: 'forge', repo: 'gadgets', path: bare.gitea }], [GT_TOKEN]);
    const dataDir = makeTempDir();
    temps.push(dataDir);
    const env = { E2E_GL: GL_TOKEN, E2E_GT: GT_TOKEN, E2E_GL_REVOKED: GL_TOKEN };
    await addSource(
      dataDir,
      'gitlab/acme/widgets',
      env,
      '--gitlab-token-env',
      'E2E_GL',
      '--gitlab-url',
      gl.url,
      '--gitlab-project',
      'acme/platform/widgets',
    );
    await addSource(
      dataDir,
      'gitea/forge/gadgets',
      env,
      '--gitea-token-env',
      'E2E_GT',
      '--gitea-url',
      gt.url,
    );
    await addSource(
      dataDir,
      'gitlab/acme/revoked',
      env,
      '--gitlab-token-env',
      'E2E_GL_REVOKED',
      '--gitlab-url',
      gl.url,
    );
    // The server runs with the revoked source's token no longer valid.
    server = await startServer({
      dataDir,
      // Starting a server takes ~15 s when the shared machine is loaded.
      timeoutMs: 120_000,
      env: {
        E2E_GL: GL_TOKEN,
        E2E_GT: GT_TOKEN,
        E2E_GL_REVOKED: 'glpat-revoked',
        STINT_WORKSPACE_RETENTION: '1h',
      },
    });
  });
  after(async () => {
    await server?.cleanup();
    await gl?.close();
    await gt?.close();
  });

  const hosts = [
    {
      name: 'GitLab',
      source: 'sources/gitlab/acme/widgets',
      bare: () => bare.gitlab,
      url: (n: number) => `https://gitlab.example/acme/platform/widgets/-/merge_requests/${n}`,
      creates: () =>
        gl.calls.filter(
          (c) => c.method === 'POST' && c.path === '/api/v4/projects/acme/platform/widgets/merge_requests',
        ),
      updates: () => gl.calls.filter((c) => c.method === 'PUT' && c.path.includes('/merge_requests/')),
      reviews: () => gl.mergeRequests('acme/platform/widgets').map((m) => [m.source_branch, m.target_branch]),
      title: 'Merge request ready',
    },
    {
      name: 'Gitea',
      source: 'sources/gitea/forge/gadgets',
      bare: () => bare.gitea,
      url: (n: number) => `https://gitea.example/forge/gadgets/pulls/${n}`,
      creates: () =>
        gt.calls.filter((c) => c.method === 'POST' && c.path === '/api/v1/repos/forge/gadgets/pulls'),
      updates: () => gt.calls.filter((c) => c.method === 'PATCH' && c.path.includes('/pulls/')),
      reviews: () => gt.pulls('forge', 'gadgets').map((p) => [p.head, p.base]),
      title: 'Pull request ready',
    },
  ];

  for (const host of hosts) {
    test(`${host.name}: listed as a source; one review opened, the same one updated by a follow-up`, async () => {
      const listed = (await api(server, 'GET', '/sources')).body.sources.find(
        (s: any) => s.name === host.source,
      );
      const repo = listed.githubRepo;
      assert.equal(repo.defaultBranch.displayName, 'main');
      assert.deepEqual(
        repo.branches.map((b: any) => b.displayName),
        ['dev', 'main'],
      );

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
      const done = await waitCompleted(server, id);
      assert.equal(done.outputs.length, 2);
      const head = git(host.bare(), 'rev-parse', `refs/heads/stint/${id}`).trim();
      assert.deepEqual(done.outputs[0].branch, { name: `stint/${id}`, commitId: head, remote: host.bare() });
      const pr = done.outputs[1].pullRequest;
      assert.deepEqual(
        { url: pr.url, title: pr.title, baseRef: pr.baseRef, headRef: pr.headRef },
        { url: host.url(1), title: 'Greeting', baseRef: 'main', headRef: `stint/${id}` },
      );
      assert.equal(host.creates().length, 1);
      const acts = await activities(server, id);
      assert.ok(
        acts.some(
          (a: any) =>
            a.progressUpdated?.title === host.title && a.progressUpdated.description.includes(pr.url),
        ),
      );

      writeFileSync(join(server.dataDir, 'workspaces', id, 'FOLLOWUP.md'), 'one more thing\n');
      const updatesBefore = host.updates().length;
      await api(server, 'POST', `/sessions/${id}:sendMessage`, { prompt: 'Also add FOLLOWUP.md' });
      const again = await waitCompleted(server, id, 2);
      assert.equal(again.outputs[1].pullRequest.url, pr.url);
      const head2 = git(host.bare(), 'rev-parse', `refs/heads/stint/${id}`).trim();
      assert.equal(git(host.bare(), 'rev-parse', `${head2}^`).trim(), head);
      assert.equal(again.outputs[0].branch.commitId, head2);
      assert.equal(host.creates().length, 1, 'no second review');
      assert.equal(host.updates().length, updatesBefore + 1, 'the review body was updated');
      assert.deepEqual(host.reviews(), [[`stint/${id}`, 'main']]);
    });
  }

  test('a revoked GitLab token: the session is refused with the source named, after one request', async () => {
    // A source whose host refuses its token refuses new sessions with FAILED_PRECONDITION (400: no
    // retry fixes a revoked token); the merge request failing after a push is covered in
    // test/sources/gitlab.test.ts.
    const before = gl.calls.filter((c) => c.path.includes('acme/revoked')).length;
    const created = await api(server, 'POST', '/sessions', {
      prompt: scriptPrompt('Revoked', { steps: [{ write: { path: 'r.txt', content: 'r\n' } }] }),
      sourceContext: { source: 'sources/gitlab/acme/revoked', githubRepoContext: { startingBranch: 'main' } },
      automationMode: 'AUTO_CREATE_PR',
    });
    assert.equal(created.status, 400, JSON.stringify(created.body));
    assert.equal(created.body.error.status, 'FAILED_PRECONDITION');
    assert.match(
      created.body.error.message,
      /sources\/gitlab\/acme\/revoked: the git host refused the credentials/,
    );
    assert.ok(!JSON.stringify(created.body).includes('glpat-revoked'));
    const calls = gl.calls.filter((c) => c.path.includes('acme/revoked')).slice(before);
    assert.ok(calls.length >= 1 && calls.length <= 2, `calls: ${calls.length}`);
    assert.ok(calls.every((c) => c.method === 'GET' && c.auth === 'bad'));
  });
});
