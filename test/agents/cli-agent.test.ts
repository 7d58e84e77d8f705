/** The external-CLI agent backend, with a small stand-in executable that edits a file and prints progress. */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { AgentEvent } from '../../src/agents/agent.ts';
import { CliAgent } from '../../src/agents/cli/cli-agent.ts';
import { commandLine, parseCliAgentConfig } from '../../src/agents/cli/cli-config.ts';
import { addSource, git, makeBareRepo } from '../support/git-fixtures.ts';
import { api, makeTempDir, type StartedServer, startServer, waitUntil } from '../support/server.ts';
import { checkout, harness, session } from './harness.ts';

const dirs: string[] = [];
const servers: StartedServer[] = [];
after(async () => {
  for (const s of servers) await s.cleanup();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A stand-in coding agent: prints progress, appends to src/app.txt, keeps the task it got. */
function standIn(body?: string): string {
  const dir = makeTempDir('stint-fake-cli-');
  dirs.push(dir);
  const path = join(dir, 'fake-agent');
  writeFileSync(
    path,
    body ??
      `#!/bin/sh
[ "$1" = "--task" ] || { echo "usage: fake-agent --task TEXT" >&2; exit 2; }
echo "Reading the task"
sleep 0.2
mkdir -p src
echo "edited by the fake agent" >> src/app.txt
printf '%s\\n' "$2" > TASK.txt
echo "Edited src/app.txt"
sleep 1.8
echo "All done: appended a line to src/app.txt."
`,
  );
  chmodSync(path, 0o755);
  return path;
}

test('command lines keep any task intact, however it is quoted', async () => {
  const dir = await checkout();
  const h = harness(dir);
  const prompt = `it's "quoted" $(touch pwned) \`touch pwned2\` ; rm -rf / \\ {prompt}\nsecond line`;
  writeFileSync(join(dir, '.git', 'p.txt'), prompt);
  const r = await h.ctx(undefined, session('x')).sandbox.run({
    command: commandLine(['printf', '[%s]', '--x={prompt}', '{promptFile}'], join(dir, '.git', 'p.txt')),
    cwd: dir,
    timeoutMs: 10_000,
    maxOutputBytes: 100_000,
  });
  assert.equal(r.output, `[--x=${prompt}][${join(dir, '.git', 'p.txt')}]`);
  assert.ok(!existsSync(join(dir, 'pwned')) && !existsSync(join(dir, 'pwned2')));
  const fail = (m: string) => new Error(m);
  assert.deepEqual(parseCliAgentConfig({ STINT_CLI_AGENT: 'codex' }, fail).template.slice(0, 2), [
    'codex',
    'exec',
  ]);
  assert.deepEqual(
    parseCliAgentConfig({ STINT_CLI_AGENT_COMMAND: `my-agent --msg "{prompt}" -y` }, fail).template,
    ['my-agent', '--msg', '{prompt}', '-y'],
  );
  assert.throws(
    () => parseCliAgentConfig({ STINT_CLI_AGENT: 'vim' }, fail),
    /STINT_CLI_AGENT must be one of/,
  );
  assert.throws(() => parseCliAgentConfig({ PATH: '/nonexistent' }, fail), /none of those CLIs is on PATH/);
});

test('a CLI that fails fails the session with its exit code and last output', async () => {
  const dir = await checkout();
  const h = harness(dir);
  const agent = new CliAgent({
    name: 'broken',
    template: [standIn('#!/bin/sh\necho "cannot log in" >&2\nexit 3\n'), '{prompt}'],
    timeoutMs: 20_000,
  });
  const events: AgentEvent[] = [];
  for await (const e of agent.run(h.ctx(undefined, session('Fix it')))) events.push(e);
  const fail = events.at(-1) as Extract<AgentEvent, { type: 'fail' }>;
  assert.equal(fail.type, 'fail');
  assert.equal(fail.reason, 'broken exited with code 3:\ncannot log in');
});

test('stint serve --agent cli: approval, streamed output, the changes as the patch, a follow-up', async () => {
  const bare = makeBareRepo();
  dirs.push(join(bare, '..'));
  const dataDir = makeTempDir();
  addSource(dataDir, 'github/acme/widgets', bare);
  const server = await startServer({
    dataDir,
    // The stand-in lives in a temp dir, which an isolating sandbox would hide.
    env: {
      STINT_AGENT: 'cli',
      STINT_SANDBOX: 'plain',
      STINT_CLI_AGENT_COMMAND: `${standIn()} --task {prompt}`,
    },
  });
  servers.push(server);
  assert.match(server.output(), /Agent: fake-agent \(external CLI\)/);
  const id = (
    await api(server, 'POST', '/sessions', {
      prompt: 'Append a line to src/app.txt',
      sourceContext: { source: 'sources/github/acme/widgets' },
      requirePlanApproval: true,
    })
  ).body.id;
  const state = async (want: string) =>
    waitUntil(async () => {
      const s = (await api(server, 'GET', `/sessions/${id}`)).body;
      if (s.state === 'FAILED') throw new Error(JSON.stringify(await acts()));
      return s.state === want ? s : undefined;
    }).catch(async (e) => {
      throw new Error(`waiting for ${want}: ${(e as Error).message}\n${JSON.stringify(await acts())}`);
    });
  const acts = async () => (await api(server, 'GET', `/sessions/${id}/activities`)).body.activities as any[];
  await state('AWAITING_PLAN_APPROVAL');
  assert.ok(!existsSync(join(dataDir, 'workspaces', id, 'TASK.txt')), 'the CLI waits for approval');
  await api(server, 'POST', `/sessions/${id}:approvePlan`, {});
  const done = await state('COMPLETED');

  const all = await acts();
  const progress = all.filter((a) => a.progressUpdated).map((a) => a.progressUpdated);
  assert.equal(progress[0].title, 'Running fake-agent');
  const output = progress.filter((p) => p.title === 'fake-agent output').map((p) => p.description);
  assert.ok(output.length >= 2, `output streamed while the CLI ran: ${JSON.stringify(output)}`);
  assert.match(output.join(''), /Reading the task\nEdited src\/app.txt\n[\s\S]*All done/);
  const final = all.filter((a) => a.agentMessaged).at(-1).agentMessaged.agentMessage;
  assert.match(final, /All done: appended a line to src\/app.txt\.$/);
  assert.ok(all.at(-1).sessionCompleted);

  const patch: string = done.outputs[0].changeSet.gitPatch.unidiffPatch;
  assert.match(patch, /\+edited by the fake agent/);
  assert.match(patch, /\+\+\+ b\/TASK.txt\n@@ -0,0 \+1 @@\n\+Append a line to src\/app.txt\n/);
  assert.ok(!patch.includes('stint-agent-prompt'), 'the task file stays out of the patch');

  await api(server, 'POST', `/sessions/${id}:sendMessage`, { prompt: 'And mention it in TASK.txt.' });
  await waitUntil(async () => (await acts()).length > all.length + 2);
  const again = await state('COMPLETED');
  const work = join(makeTempDir('stint-apply-'), 'w');
  dirs.push(join(work, '..'));
  git(join(work, '..'), 'clone', '-q', bare, 'w');
  writeFileSync(join(work, '..', 'p.diff'), again.outputs[0].changeSet.gitPatch.unidiffPatch);
  git(work, 'apply', join(work, '..', 'p.diff'));
  assert.equal(
    readFileSync(join(work, 'src/app.txt'), 'utf8'),
    'line 1\nline 2\nedited by the fake agent\nedited by the fake agent\n',
  );
  assert.equal(
    readFileSync(join(work, 'TASK.txt'), 'utf8'),
    'Append a line to src/app.txt\n\nFollow-up from the user:\nAnd mention it in TASK.txt.\n',
  );
});

test("the CLI runs in the checkout, so it finds the repository's AGENTS.md itself", async () => {
  const bare = makeBareRepo({ 'AGENTS.md': 'Run `make check` before finishing.\n' });
  dirs.push(join(bare, '..'));
  const dir = await checkout(bare);
  const h = harness(dir);
  const agent = new CliAgent({
    name: 'reader',
    template: [standIn('#!/bin/sh\necho "cwd=$(pwd -P)"\ncat AGENTS.md\n'), '{prompt}'],
    timeoutMs: 20_000,
  });
  const events: AgentEvent[] = [];
  for await (const e of agent.run(h.ctx(undefined, session('Read the instructions')))) events.push(e);
  const done = events.at(-1) as Extract<AgentEvent, { type: 'done' }>;
  assert.equal(done.type, 'done', JSON.stringify(events));
  assert.match(done.summary ?? '', new RegExp(`cwd=${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n`));
  assert.match(done.summary ?? '', /Run `make check` before finishing\./);
});
