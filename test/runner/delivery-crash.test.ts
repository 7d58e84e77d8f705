/**
 * SIGKILL between the `done` commit and the commit recording the pull request: the fake GitHub
 * creates the pull request and then holds its response, so the server dies with the branch pushed
 * and the pull request open but neither recorded. The restarted server delivers exactly once more
 * in effect: one push, one pull request, one completion.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { describeActivity } from '../support/activities.ts';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github.ts';
import { git, makeBareRepo, scriptPrompt } from '../support/git-fixtures.ts';
import { api, cliEntry, makeTempDir, type StartedServer, startServer, waitUntil } from '../support/server.ts';

const TOKEN = 'ghp_crash_token_123';
const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

test('SIGKILL between the done commit and the pull request commit: one push, one pull request', async () => {
  const bare = makeBareRepo();
  cleanups.push(() => rmSync(dirname(bare), { recursive: true, force: true }));
  // Every push to the remote leaves one line here.
  const pushLog = join(dirname(bare), 'pushes.log');
  writeFileSync(pushLog, '');
  const hook = join(bare, 'hooks', 'post-receive');
  writeFileSync(hook, `#!/bin/sh\ncat >> '${pushLog}'\n`);
  chmodSync(hook, 0o755);

  let holding = true;
  let created!: () => void;
  const pullCreated = new Promise<void>((r) => {
    created = r;
  });
  const gh: FakeGitHub = await startFakeGitHub([{ owner: 'acme', repo: 'widgets', path: bare }], {
    tokens: [TOKEN],
    afterCreatePull: async () => {
      if (!holding) return;
      created();
      await new Promise(() => {}); // never answers: the server dies waiting
    },
  });
  cleanups.push(() => gh.close());

  const dataDir = makeTempDir();
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  await promisify(execFile)(
    process.execPath,
    [
      cliEntry,
      'sources',
      'add',
      'github/acme/widgets',
      '--data-dir',
      dataDir,
      '--github-token-env',
      'E2E_GH_TOKEN',
      '--github-api-url',
      gh.url,
    ],
    { env: { ...process.env, E2E_GH_TOKEN: TOKEN } },
  );
  const env = { E2E_GH_TOKEN: TOKEN, STINT_GITHUB_TOKEN: TOKEN, STINT_GITHUB_API_URL: gh.url };
  const servers: StartedServer[] = [];
  cleanups.push(async () => {
    for (const s of servers) await s.cleanup();
  });
  const first = await startServer({ dataDir, keepDataDir: true, env, timeoutMs: 90_000 });
  servers.push(first);
  const res = await api(first, 'POST', '/sessions', {
    prompt: scriptPrompt('Greeting', { steps: [{ write: { path: 'hello.txt', content: 'hello\n' } }] }),
    sourceContext: { source: 'sources/github/acme/widgets', githubRepoContext: { startingBranch: 'main' } },
    automationMode: 'AUTO_CREATE_PR',
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const id = res.body.id as string;

  await pullCreated;
  const before = (await api(first, 'GET', `/sessions/${id}`)).body;
  assert.equal(before.state, 'IN_PROGRESS', 'the done commit is in; the pull request is not recorded');
  assert.equal(before.outputs.length, 1);
  await first.kill();
  holding = false;

  const second = await startServer({ dataDir, apiKey: first.apiKey, env, timeoutMs: 90_000 });
  servers.push(second);
  await waitUntil(
    async () => {
      const s = (await api(second, 'GET', `/sessions/${id}`)).body;
      if (s.state === 'FAILED') throw new Error(`session failed: ${JSON.stringify(s)}`);
      return s.state === 'COMPLETED';
    },
    90_000,
    100,
  );
  const done = (await api(second, 'GET', `/sessions/${id}`)).body;
  assert.equal(done.outputs[1].pullRequest.url, 'https://github.example/acme/widgets/pull/1');
  assert.equal(gh.pulls('acme', 'widgets').length, 1);
  assert.equal(
    gh.calls.filter((c) => c.method === 'POST' && c.path === '/repos/acme/widgets/pulls').length,
    1,
  );
  const pushes = readFileSync(pushLog, 'utf8').split('\n').filter(Boolean);
  assert.equal(pushes.length, 1, pushes.join('\n'));
  assert.equal(git(bare, 'rev-list', '--count', `main..stint/${id}`).trim(), '1');
  const acts = (await api(second, 'GET', `/sessions/${id}/activities?pageSize=100`)).body.activities;
  const kinds = acts.map(describeActivity);
  assert.equal(kinds.filter((k: string) => k === 'sessionCompleted').length, 1);
  assert.equal(kinds.filter((k: string) => k === 'progressUpdated:Changes ready').length, 1);
  assert.equal(kinds.filter((k: string) => k === 'progressUpdated:Pull request ready').length, 1);
});
