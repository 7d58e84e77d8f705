/**
 * Real repositories end to end, through a real `stint serve` and a fake GitHub on 127.0.0.1:
 * AUTO_CREATE_PR pushes `stint/<id>` and opens the pull request once (base = starting branch); the
 * branch holds the agent's commit; the patch applies on baseCommitId; follow-ups add to the same
 * branch and pull request; plain git sources get a branch and the session page; repoless sessions
 * push nothing; concurrent sessions stay apart; hostile branches are refused before anything runs;
 * checkouts are removed when sessions end.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github.ts';
import { addSource, git, makeBareRepo, scriptPrompt } from '../support/git-fixtures.ts';
import { api, cliEntry, makeTempDir, type StartedServer, startServer, waitUntil } from '../support/server.ts';

const TOKEN = 'ghp_e2e_token_987';
const temps: string[] = [];
after(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

/** A bare repository (main, dev) in a temp dir removed after the tests. */
function bareRepo(files: Record<string, string> = {}): string {
  const bare = makeBareRepo(files);
  temps.push(dirname(bare));
  return bare;
}

function tempDir(prefix: string): string {
  const dir = makeTempDir(prefix);
  temps.push(dir);
  return dir;
}

const CHANGES = {
  title: 'Greeting and logo',
  plan: ['Write hello.txt', 'Rename the app, add a logo, drop the README'],
  steps: [
    { write: { path: 'hello.txt', content: 'hello\n' } },
    {
      run: "mv src/app.txt src/main.txt && printf 'line 3\\n' >> src/main.txt && printf '\\000\\001\\002\\377' > logo.bin && rm README.md",
    },
    { message: 'Done' },
  ],
};

// Like addSource, but leaves this process free to answer the fake GitHub the CLI calls.
async function addSourceAsync(dataDir: string, id: string, ...args: string[]): Promise<void> {
  await promisify(execFile)(
    process.execPath,
    [cliEntry, 'sources', 'add', id, '--data-dir', dataDir, ...args],
    {
      env: { ...process.env, E2E_GH_TOKEN: TOKEN },
    },
  );
}

async function waitCompleted(server: StartedServer, id: string, completions = 1): Promise<any> {
  await waitUntil(async () => {
    const acts = (await api(server, 'GET', `/sessions/${id}/activities?pageSize=100`)).body.activities ?? [];
    const failed = acts.find((a: any) => a.sessionFailed);
    if (failed) throw new Error(`session failed: ${failed.sessionFailed.reason}`);
    return acts.filter((a: any) => a.sessionCompleted).length >= completions;
  });
  return (await api(server, 'GET', `/sessions/${id}`)).body;
}

function checkPatchApplies(bare: string, base: string, patch: string): string {
  const dir = tempDir('stint-verify-');
  git(dir, 'clone', '-q', '--', bare, 'c');
  const clone = join(dir, 'c');
  git(clone, 'checkout', '-q', base);
  writeFileSync(join(dir, 'p.diff'), patch);
  git(clone, 'apply', '--check', '--binary', join(dir, 'p.diff'));
  git(clone, 'apply', '--index', '--binary', join(dir, 'p.diff'));
  return git(clone, 'write-tree').trim();
}

describe('real repositories (workspace kept 1h)', () => {
  let server: StartedServer;
  let gh: FakeGitHub;
  let bare: string;
  let plainBare: string;
  let discoveredBare: string;

  before(async () => {
    bare = bareRepo();
    plainBare = bareRepo();
    discoveredBare = bareRepo({ 'DISCOVERED.md': 'listed by GitHub\n' });
    gh = await startFakeGitHub(
      [
        { owner: 'acme', repo: 'widgets', path: bare, private: true },
        { owner: 'acme', repo: 'discovered', path: discoveredBare },
      ],
      { tokens: [TOKEN] },
    );
    const dataDir = makeTempDir();
    await addSourceAsync(
      dataDir,
      'github/acme/widgets',
      '--github-token-env',
      'E2E_GH_TOKEN',
      '--github-api-url',
      gh.url,
    );
    addSource(dataDir, 'github/acme/plain', plainBare);
    server = await startServer({
      dataDir,
      // A server start takes ~15 s or more on this shared, loaded machine (20 s default).
      timeoutMs: 120_000,
      env: {
        E2E_GH_TOKEN: TOKEN,
        STINT_GITHUB_TOKEN: TOKEN,
        STINT_GITHUB_API_URL: gh.url,
        STINT_WORKSPACE_RETENTION: '1h',
      },
    });
  });
  after(async () => {
    await server?.cleanup();
    await gh?.close();
  });

  test('AUTO_CREATE_PR on a GitHub source: one pull request, the branch holds the commit, follow-ups add to it', async () => {
    const mainCommit = git(bare, 'rev-parse', 'main').trim();
    const created = await api(server, 'POST', '/sessions', {
      prompt: scriptPrompt('Add a greeting', CHANGES),
      sourceContext: { source: 'sources/github/acme/widgets', githubRepoContext: { startingBranch: 'main' } },
      automationMode: 'AUTO_CREATE_PR',
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const id = created.body.id;
    const done = await waitCompleted(server, id);
    assert.equal(done.state, 'COMPLETED');
    assert.equal(done.outputs.length, 2);
    const pr = done.outputs[1].pullRequest;
    assert.equal(pr.url, 'https://github.example/acme/widgets/pull/1');
    assert.equal(pr.title, 'Greeting and logo');
    assert.equal(pr.baseRef, 'main');
    assert.equal(pr.headRef, `stint/${id}`);
    assert.match(pr.description, /## Plan\n\n1\. Write hello\.txt\n2\. Rename the app/);
    assert.match(pr.description, new RegExp(`${server.origin}/sessions/${id}`));

    const { gitPatch } = done.outputs[0].changeSet;
    assert.equal(done.outputs[0].changeSet.source, 'sources/github/acme/widgets');
    assert.equal(gitPatch.baseCommitId, mainCommit);
    assert.match(gitPatch.unidiffPatch, /rename from src\/app\.txt\nrename to src\/main\.txt/);
    assert.match(gitPatch.unidiffPatch, /GIT binary patch/);
    assert.match(gitPatch.unidiffPatch, /deleted file mode 100644/);
    assert.match(gitPatch.unidiffPatch, /new file mode 100644/);
    assert.match(gitPatch.suggestedCommitMessage, /^Greeting and logo\n\n- /);

    // The pull request was opened once, with the right base and head.
    const posts = gh.calls.filter((c) => c.method === 'POST' && c.path === '/repos/acme/widgets/pulls');
    assert.equal(posts.length, 1);
    assert.equal(posts[0]!.body.base, 'main');
    assert.equal(posts[0]!.body.head, `stint/${id}`);
    // The branch exists on the remote with the agent's commit, whose tree is base + patch.
    const head = git(bare, 'rev-parse', `refs/heads/stint/${id}`).trim();
    assert.equal(git(bare, 'rev-parse', `${head}^`).trim(), mainCommit);
    assert.equal(
      checkPatchApplies(bare, mainCommit, gitPatch.unidiffPatch),
      git(bare, 'rev-parse', `${head}^{tree}`).trim(),
    );

    // A follow-up that changes code: one more commit on the same branch, the same pull request.
    writeFileSync(join(server.dataDir, 'workspaces', id, 'FOLLOWUP.md'), 'one more thing\n');
    assert.equal(
      (await api(server, 'POST', `/sessions/${id}:sendMessage`, { prompt: 'Also add FOLLOWUP.md' })).status,
      200,
    );
    const again = await waitCompleted(server, id, 2);
    assert.equal(again.outputs[1].pullRequest.url, pr.url);
    assert.match(again.outputs[0].changeSet.gitPatch.unidiffPatch, /FOLLOWUP\.md/);
    const head2 = git(bare, 'rev-parse', `refs/heads/stint/${id}`).trim();
    assert.equal(git(bare, 'rev-parse', `${head2}^`).trim(), head);
    assert.equal(
      gh.calls.filter((c) => c.method === 'POST' && c.path === '/repos/acme/widgets/pulls').length,
      1,
    );
    assert.equal(gh.pulls('acme', 'widgets').length, 1);
  });

  test('a plain git source (even with a github/ id) gets a pushed branch and no pull request', async () => {
    const created = await api(server, 'POST', '/sessions', {
      prompt: scriptPrompt('Plain', { steps: [{ write: { path: 'plain.txt', content: 'plain\n' } }] }),
      sourceContext: { source: 'sources/github/acme/plain' },
      automationMode: 'AUTO_CREATE_PR',
    });
    const id = created.body.id;
    const done = await waitCompleted(server, id);
    // No review exists on plain git, so no pullRequest output claims one: the pushed branch and its
    // commit are Stint's `branch` member beside the change set.
    assert.equal(done.outputs.length, 1);
    assert.ok(!done.outputs.some((o: any) => o.pullRequest));
    const head = git(plainBare, 'rev-parse', `refs/heads/stint/${id}`).trim();
    assert.deepEqual(done.outputs[0].branch, { name: `stint/${id}`, commitId: head, remote: plainBare });
    assert.match(done.outputs[0].changeSet.gitPatch.unidiffPatch, /plain\.txt/);
    assert.equal(git(plainBare, 'show', `stint/${id}:plain.txt`), 'plain\n');
    const acts = (await api(server, 'GET', `/sessions/${id}/activities?pageSize=100`)).body.activities;
    const pushed = acts.find((a: any) => a.progressUpdated?.title === 'Branch pushed');
    assert.equal(pushed.progressUpdated.description, `Pushed ${head.slice(0, 12)} to stint/${id}.`);
    assert.ok(!gh.calls.some((c) => c.path.includes('acme/plain')));
  });

  test('two sessions on the same source at once each see only their own changes', async () => {
    const mk = (file: string) =>
      api(server, 'POST', '/sessions', {
        prompt: scriptPrompt(`Write ${file}`, {
          steps: [{ write: { path: file, content: `${file}\n` } }, { sleep: 300 }, { run: 'ls' }],
        }),
        sourceContext: { source: 'sources/github/acme/plain' },
      });
    const [a, b] = await Promise.all([mk('a.txt'), mk('b.txt')]);
    const [da, db] = await Promise.all([waitCompleted(server, a.body.id), waitCompleted(server, b.body.id)]);
    const files = (s: any) =>
      [...s.outputs[0].changeSet.gitPatch.unidiffPatch.matchAll(/^diff --git a\/(\S+)/gm)].map((m) => m[1]);
    assert.deepEqual(files(da), ['a.txt']);
    assert.deepEqual(files(db), ['b.txt']);
  });

  test('a hostile starting branch is refused with 400 and nothing runs', async () => {
    const pwned = join(tempDir('stint-pwned-'), 'pwned');
    const before = (await api(server, 'GET', '/sessions?pageSize=100')).body.sessions?.length ?? 0;
    for (const branch of [`--upload-pack=touch ${pwned}`, '../x']) {
      const res = await api(server, 'POST', '/sessions', {
        prompt: 'hostile',
        sourceContext: { source: 'sources/github/acme/plain', githubRepoContext: { startingBranch: branch } },
      });
      assert.equal(res.status, 400);
      assert.equal(res.body.error.status, 'INVALID_ARGUMENT');
    }
    assert.equal((await api(server, 'GET', '/sessions?pageSize=100')).body.sessions?.length ?? 0, before);
    assert.equal(existsSync(pwned), false);
  });

  test("a deleted session's checkout is removed at once, whatever the retention", async () => {
    const created = await api(server, 'POST', '/sessions', {
      prompt: scriptPrompt('Wait', {
        steps: [{ write: { path: 'w.txt', content: 'w\n' } }, { ask: 'More?' }],
      }),
      sourceContext: { source: 'sources/github/acme/plain' },
    });
    const id = created.body.id;
    const dir = join(server.dataDir, 'workspaces', id);
    await waitUntil(
      async () => (await api(server, 'GET', `/sessions/${id}`)).body.state === 'AWAITING_USER_FEEDBACK',
    );
    assert.ok(existsSync(join(dir, 'w.txt')));
    assert.equal((await api(server, 'DELETE', `/sessions/${id}`)).status, 200);
    await waitUntil(() => !existsSync(dir));
  });

  test('repositories the server token can see are sources, and sessions run on them', async () => {
    const list = (await api(server, 'GET', '/sources')).body.sources;
    const discovered = list.find((s: any) => s.id === 'github/acme/discovered');
    assert.deepEqual(discovered.githubRepo, {
      owner: 'acme',
      repo: 'discovered',
      isPrivate: false,
      defaultBranch: { displayName: 'main' },
      branches: [{ displayName: 'dev' }, { displayName: 'main' }],
    });
    assert.ok(list.some((s: any) => s.id === 'github/acme/widgets'));
    const got = await api(server, 'GET', '/sources/github/acme/discovered');
    assert.equal(got.status, 200);
    const created = await api(server, 'POST', '/sessions', {
      prompt: scriptPrompt('Read', { steps: [{ run: 'cat DISCOVERED.md' }] }),
      sourceContext: { source: 'sources/github/acme/discovered' },
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    await waitCompleted(server, created.body.id);
    const acts = (await api(server, 'GET', `/sessions/${created.body.id}/activities?pageSize=100`)).body
      .activities;
    assert.ok(acts.some((a: any) => a.progressUpdated?.description?.includes('listed by GitHub')));
  });
});

describe('real repositories (default retention: checkouts removed when sessions end)', () => {
  let server: StartedServer;
  let bare: string;

  before(async () => {
    bare = bareRepo();
    const dataDir = makeTempDir();
    addSource(dataDir, 'git/acme/plain', bare);
    server = await startServer({ dataDir, timeoutMs: 120_000 });
  });
  after(async () => {
    await server?.cleanup();
  });

  test('a repoless AUTO_CREATE_PR session completes with its files and pushes nothing', async () => {
    const created = await api(server, 'POST', '/sessions', {
      prompt: scriptPrompt('Scratch', {
        steps: [{ run: "printf '\\000\\377' > blob.bin" }, { write: { path: 'a.txt', content: 'a\n' } }],
      }),
      automationMode: 'AUTO_CREATE_PR',
    });
    const id = created.body.id;
    const done = await waitCompleted(server, id);
    assert.equal(done.outputs.length, 1);
    const patch = done.outputs[0].changeSet.gitPatch.unidiffPatch;
    assert.match(patch, /diff --git a\/blob\.bin b\/blob\.bin\nnew file mode 100644/);
    assert.match(patch, /GIT binary patch/);
    await waitUntil(() => !existsSync(join(server.dataDir, 'workspaces', id)));
  });

  test('a follow-up after the checkout was removed continues from the same base and branch', async () => {
    const created = await api(server, 'POST', '/sessions', {
      prompt: scriptPrompt('Note', { steps: [{ write: { path: 'NOTE.md', content: 'note\n' } }] }),
      sourceContext: { source: 'sources/git/acme/plain' },
      automationMode: 'AUTO_CREATE_PR',
    });
    const id = created.body.id;
    const first = await waitCompleted(server, id);
    const head = git(bare, 'rev-parse', `refs/heads/stint/${id}`).trim();
    await waitUntil(() => !existsSync(join(server.dataDir, 'workspaces', id)));
    await api(server, 'POST', `/sessions/${id}:sendMessage`, { prompt: 'Anything else?' });
    const second = await waitCompleted(server, id, 2);
    assert.deepEqual(second.outputs, first.outputs);
    assert.equal(git(bare, 'rev-parse', `refs/heads/stint/${id}`).trim(), head);
    await waitUntil(() => !existsSync(join(server.dataDir, 'workspaces', id)));
  });
});
