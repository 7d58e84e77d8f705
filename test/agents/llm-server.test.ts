/**
 * `stint serve --agent llm` end to end against the fake OpenAI-compatible server: plan, approval,
 * edits, a command, a question answered via :sendMessage, the patch; streaming and not; a turn
 * budget that pauses and a message that resumes; a SIGKILL mid-conversation that resumes at the
 * last saved turn.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, type TestContext, test } from 'node:test';
import { activityKind } from '../support/activities.ts';
import { deploymentMode } from '../support/deployment.ts';
import { type FakeOpenAI, type FakeReply, startFakeOpenAI } from '../support/fake-openai.ts';
import { addSource, git, makeBareRepo } from '../support/git-fixtures.ts';
import { api, makeTempDir, type StartedServer, startServer, waitUntil } from '../support/server.ts';

const KEY = 'sk-fake-model-key-4f1b2c';
const SOURCE = 'sources/github/acme/widgets';
const servers: StartedServer[] = [];
const fakes: FakeOpenAI[] = [];
const dirs: string[] = [];
after(async () => {
  for (const s of servers) await s.cleanup();
  for (const f of fakes) await f.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function modelEnv(fake: FakeOpenAI, extra: Record<string, string> = {}): Record<string, string> {
  return {
    STINT_AGENT: 'llm',
    STINT_MODEL: 'openai-compatible:fake-coder',
    STINT_MODEL_BASE_URL: fake.baseUrl,
    STINT_MODEL_API_KEY: KEY,
    STINT_MODEL_RETRY_BASE_MS: '20',
    ...extra,
  };
}

/**
 * A server with the model at `fake`, stopped when the test ends: with STINT_TEST_DEPLOYMENT=postgres
 * all servers of this file share one database, and a live worker would take the next test's sessions.
 */
async function serve(t: TestContext, fake: FakeOpenAI, env: Record<string, string> = {}) {
  const dir = makeTempDir();
  addSource(dir, 'github/acme/widgets', bare);
  const server = await startServer({ dataDir: dir, keepDataDir: true, env: modelEnv(fake, env) });
  servers.push(server);
  dirs.push(dir);
  t.after(() => server.cleanup());
  return server;
}

async function activities(server: StartedServer, id: string): Promise<any[]> {
  return (await api(server, 'GET', `/sessions/${id}/activities?pageSize=100`)).body.activities;
}

async function waitState(server: StartedServer, id: string, state: string): Promise<any> {
  return waitUntil(async () => {
    const s = (await api(server, 'GET', `/sessions/${id}`)).body;
    if (s.state === 'FAILED' && state !== 'FAILED') {
      throw new Error(`session failed: ${JSON.stringify(await activities(server, id))}`);
    }
    return s.state === state ? s : undefined;
  });
}

function describeAll(acts: any[]): string[] {
  return acts.map((a) => {
    if (a.progressUpdated) return `progress:${a.progressUpdated.title}`;
    if (a.agentMessaged) return `agent:${a.agentMessaged.agentMessage}`;
    if (a.userMessaged) return `user:${a.userMessaged.userMessage}`;
    return activityKind(a);
  });
}

/** Applies a session's patch to a fresh clone and returns the files asked for. */
function applyPatch(patch: string, files: string[]): Record<string, string> {
  const dir = makeTempDir('stint-apply-');
  dirs.push(dir);
  git(dir, 'clone', '-q', bare, 'w');
  const work = join(dir, 'w');
  writeFileSync(join(dir, 'p.diff'), patch);
  git(work, 'apply', '--index', join(dir, 'p.diff'));
  return Object.fromEntries(files.map((f) => [f, readFileSync(join(work, f), 'utf8')]));
}

const bare = makeBareRepo();
dirs.push(join(bare, '..'));

const PLAN_STEPS = [
  { title: 'Rename line 2', description: 'Spell out the number in src/app.txt.' },
  { title: 'Add notes', description: 'Write NOTES.md.' },
];

function fullScript(): FakeReply[] {
  return [
    {
      text: 'Let me look at the repository.',
      toolCalls: [
        { name: 'list_files', args: {} },
        { name: 'read_file', args: { path: 'src/app.txt' } },
      ],
    },
    { toolCalls: [{ name: 'propose_plan', args: { steps: PLAN_STEPS } }] },
    {
      toolCalls: [
        { name: 'start_step', args: { step: 1 } },
        { name: 'edit_file', args: { path: 'src/app.txt', old_text: 'line 2', new_text: 'line two' } },
      ],
    },
    { toolCalls: [{ name: 'ask_user', args: { question: 'Should NOTES.md credit anyone?' } }] },
    {
      toolCalls: [
        { name: 'start_step', args: { step: 2 } },
        { name: 'write_file', args: { path: 'NOTES.md', content: '# Notes\nThanks to Ada.\n' } },
      ],
    },
    { toolCalls: [{ name: 'run_command', args: { command: 'cat NOTES.md; wc -l < src/app.txt' } }] },
    { text: 'Done: src/app.txt now says "line two", and NOTES.md thanks Ada.' },
  ];
}

for (const stream of [true, false]) {
  test(`plan, approval, edits, a command and a question (${stream ? 'streaming' : 'not streaming'})`, async (t) => {
    const fake = await startFakeOpenAI(fullScript());
    fakes.push(fake);
    const server = await serve(t, fake, { STINT_MODEL_STREAM: stream ? '1' : '0' });
    const prompt = 'Spell out the number on line 2 of src/app.txt and add release notes.';
    const created = await api(server, 'POST', '/sessions', {
      prompt,
      sourceContext: { source: SOURCE, githubRepoContext: { startingBranch: 'main' } },
      requirePlanApproval: true,
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const id = created.body.id;

    await waitState(server, id, 'AWAITING_PLAN_APPROVAL');
    const planned = await activities(server, id);
    const plan = planned.find((a) => a.planGenerated).planGenerated.plan;
    assert.deepEqual(
      plan.steps,
      PLAN_STEPS.map((s, index) => ({
        id: `${index + 1}`,
        title: s.title,
        description: s.description,
        index,
      })),
    );
    assert.equal(fake.requests.length, 2);
    // The checkout is on this machine unless workers run it (STINT_TEST_DEPLOYMENT=postgres).
    const checkoutFile = (path: string) =>
      deploymentMode ? undefined : readFileSync(join(server.dataDir, 'workspaces', id, path), 'utf8');
    assert.equal(
      checkoutFile('src/app.txt') ?? 'line 1\nline 2\n',
      'line 1\nline 2\n',
      'nothing changes before approval',
    );
    const first = fake.requests[0]!;
    assert.equal(first.body.stream === true, stream);
    assert.equal(first.body.model, 'fake-coder');
    assert.equal(first.headers.authorization, `Bearer ${KEY}`);
    assert.equal(first.body.messages[0].role, 'system');
    assert.deepEqual(first.body.messages[1], { role: 'user', content: prompt });
    const planningTools = first.body.tools.map((t: any) => t.function.name);
    for (const t of ['write_file', 'edit_file', 'run_command']) assert.ok(!planningTools.includes(t));

    assert.equal((await api(server, 'POST', `/sessions/${id}:approvePlan`, {})).status, 200);
    await waitState(server, id, 'AWAITING_USER_FEEDBACK');
    assert.equal(checkoutFile('src/app.txt') ?? 'line 1\nline two\n', 'line 1\nline two\n');
    assert.equal(
      (await api(server, 'POST', `/sessions/${id}:sendMessage`, { prompt: 'Yes: thank Ada.' })).status,
      200,
    );
    const done = await waitState(server, id, 'COMPLETED');

    assert.deepEqual(describeAll(await activities(server, id)), [
      'agent:Let me look at the repository.',
      'planGenerated',
      'planApproved',
      'progress:Step 1 of 2: Rename line 2',
      'progress:Edited src/app.txt',
      'agent:Should NOTES.md credit anyone?',
      'user:Yes: thank Ada.',
      'progress:Step 2 of 2: Add notes',
      'progress:Created NOTES.md',
      'progress:Ran cat NOTES.md; wc -l < src/app.txt',
      'agent:Done: src/app.txt now says "line two", and NOTES.md thanks Ada.',
      'progress:Changes ready',
      'sessionCompleted',
    ]);
    assert.deepEqual(
      fake.requests.map((r) => [r.turn, r.status]),
      [0, 1, 2, 3, 4, 5, 6].map((t) => [t, 200]),
      'every turn was asked for once',
    );
    // The answer went back to the model as the ask_user tool's result.
    const answered = fake.requests.find((r) => r.turn === 4)!.body.messages;
    const askResult = answered.findLast((m: any) => m.role === 'tool');
    assert.match(askResult.content, /Yes: thank Ada\./);
    const ran = fake.requests
      .find((r) => r.turn === 6)!
      .body.messages.findLast((m: any) => m.role === 'tool');
    assert.match(ran.content, /# Notes\nThanks to Ada\.\n\s*2\n\[exit code 0\]/);
    // Every turn was asked for exactly once.
    assert.deepEqual(
      fake.requests.map((r) => r.turn),
      [0, 1, 2, 3, 4, 5, 6],
    );

    const patch = done.outputs[0].changeSet.gitPatch.unidiffPatch;
    assert.deepEqual(applyPatch(patch, ['src/app.txt', 'NOTES.md']), {
      'src/app.txt': 'line 1\nline two\n',
      'NOTES.md': '# Notes\nThanks to Ada.\n',
    });
    assert.equal(done.usage.model, 'openai-compatible:fake-coder');
    assert.equal(done.usage.modelTurns, 7);
    assert.ok(done.usage.totalTokens > 0);
    const everything = JSON.stringify([done, await activities(server, id)]) + server.output();
    assert.ok(!everything.includes(KEY), 'the model key appears nowhere');
  });
}

test('the turn budget pauses the session; a message resumes it to completion', async (t) => {
  const fake = await startFakeOpenAI([
    { toolCalls: [{ name: 'propose_plan', args: { steps: [{ title: 'Write it', description: '' }] } }] },
    { toolCalls: [{ name: 'write_file', args: { path: 'budget.txt', content: 'spent\n' } }] },
    { text: 'Finished after the pause.' },
  ]);
  fakes.push(fake);
  const server = await serve(t, fake, { STINT_BUDGET_TURNS: '2' });
  const created = await api(server, 'POST', '/sessions', {
    prompt: 'Write budget.txt',
    sourceContext: { source: SOURCE },
  });
  const id = created.body.id;
  await waitState(server, id, 'PAUSED');
  const paused = describeAll(await activities(server, id));
  assert.match(
    paused.at(-1)!,
    /^agent:Paused: it used its budget of 2 model turns\. Send a message to continue/,
  );
  assert.equal(fake.requests.length, 2);
  await api(server, 'POST', `/sessions/${id}:sendMessage`, { prompt: 'Go on.' });
  const done = await waitState(server, id, 'COMPLETED');
  assert.match(fake.requests.at(-1)!.body.messages.at(-1).content, /Go on\./);
  assert.deepEqual(describeAll(await activities(server, id)).slice(-4), [
    'user:Go on.',
    'agent:Finished after the pause.',
    'progress:Changes ready',
    'sessionCompleted',
  ]);
  assert.deepEqual(applyPatch(done.outputs[0].changeSet.gitPatch.unidiffPatch, ['budget.txt']), {
    'budget.txt': 'spent\n',
  });
});

test('SIGKILL mid-conversation: the restarted server resumes at the last saved turn', async (t) => {
  let release!: () => void;
  const held = new Promise<void>((r) => {
    release = r;
  });
  const script: FakeReply[] = [
    { toolCalls: [{ name: 'propose_plan', args: { steps: [{ title: 'Two files', description: '' }] } }] },
    { toolCalls: [{ name: 'write_file', args: { path: 'one.txt', content: '1\n' } }] },
    { toolCalls: [{ name: 'write_file', args: { path: 'two.txt', content: '2\n' } }] },
    { hold: held, text: 'Both files are written.' },
  ];
  const fake = await startFakeOpenAI(script);
  fakes.push(fake);
  let inFlight = false;
  fake.onRequest = (r) => {
    if (r.turn === 3) inFlight = true;
  };
  // Short leases: with several workers (STINT_TEST_DEPLOYMENT=postgres) the dead one's lease must lapse.
  const lease = { STINT_LEASE_MS: '3000' };
  const first = await serve(t, fake, lease);
  const created = await api(first, 'POST', '/sessions', {
    prompt: 'Write two files',
    sourceContext: { source: SOURCE },
  });
  const id = created.body.id;
  await waitUntil(async () => {
    const s = (await api(first, 'GET', `/sessions/${id}`)).body;
    if (s.state === 'FAILED') throw new Error(JSON.stringify(await activities(first, id)));
    return inFlight;
  });
  // Everything before the model call in flight is committed by now.
  const before = describeAll(await activities(first, id));
  await first.kill();

  release();
  const second = await startServer({
    dataDir: first.dataDir,
    apiKey: first.apiKey,
    keepDataDir: true,
    env: modelEnv(fake, lease),
  });
  servers.push(second);
  t.after(() => second.cleanup());
  const done = await waitState(second, id, 'COMPLETED');
  assert.deepEqual(
    fake.requests.map((r) => r.turn),
    [0, 1, 2, 3, 3],
    'only the turn in flight at the crash is asked again',
  );
  const after = describeAll(await activities(second, id));
  assert.deepEqual(after.slice(0, before.length), before, 'nothing recorded before the crash changed');
  assert.deepEqual(after, [
    'planGenerated',
    'planApproved',
    'progress:Created one.txt',
    'progress:Created two.txt',
    'agent:Both files are written.',
    'progress:Changes ready',
    'sessionCompleted',
  ]);
  assert.deepEqual(applyPatch(done.outputs[0].changeSet.gitPatch.unidiffPatch, ['one.txt', 'two.txt']), {
    'one.txt': '1\n',
    'two.txt': '2\n',
  });
});

test('--agent llm without a usable model configuration exits before listening, with one line', () => {
  const dataDir = makeTempDir();
  dirs.push(dataDir);
  const run = (env: Record<string, string>) => {
    const clean = { ...process.env };
    for (const k of Object.keys(clean)) if (k.startsWith('STINT_') || k.endsWith('_API_KEY')) delete clean[k];
    try {
      execFileSync(
        process.execPath,
        [join(import.meta.dirname, '../../src/cli/main.ts'), 'serve', '--port', '0', '--data-dir', dataDir],
        {
          env: { ...clean, ...env },
          encoding: 'utf8',
          stdio: 'pipe',
        },
      );
      return { status: 0, stderr: '' };
    } catch (e) {
      return e as { status: number; stderr: string };
    }
  };
  const noModel = run({ STINT_AGENT: 'llm' });
  assert.notEqual(noModel.status, 0);
  assert.equal(noModel.stderr.trim().split('\n').length, 1, noModel.stderr);
  assert.match(noModel.stderr, /STINT_MODEL/);
  const noKey = run({ STINT_AGENT: 'llm', STINT_MODEL: 'anthropic:claude-sonnet-4-5' });
  assert.notEqual(noKey.status, 0);
  assert.match(noKey.stderr, /^stint: .*STINT_MODEL_API_KEY/);
  assert.equal(noKey.stderr.trim().split('\n').length, 1);
  const noUrl = run({ STINT_AGENT: 'llm', STINT_MODEL: 'openai-compatible:qwen' });
  assert.match(noUrl.stderr, /STINT_MODEL_BASE_URL/);
});
