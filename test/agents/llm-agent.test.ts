/** The LLM agent in-process against the fake OpenAI-compatible server: loops, budgets, compaction. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { AgentEvent } from '../../src/agents/agent.ts';
import { LlmAgent } from '../../src/agents/llm/llm-agent.ts';
import { type FakeOpenAI, type FakeReply, startFakeOpenAI } from '../support/fake-openai.ts';
import { checkout, harness, modelConfig, runAll, session } from './harness.ts';

const fakes: FakeOpenAI[] = [];
after(async () => {
  for (const f of fakes) await f.close();
});

const NO_BUDGET = { maxTurns: 0, maxTokens: 0, maxWallMs: 0 };
const kinds = (events: AgentEvent[]) => events.map((e) => e.type);

test('plans, edits, runs a command and answers; tool results go back as tool messages', async () => {
  const fake = await startFakeOpenAI([
    { text: 'Looking around.', toolCalls: [{ name: 'list_files', args: {} }] },
    {
      toolCalls: [
        { name: 'propose_plan', args: { steps: [{ title: 'Write', description: 'Write a.txt' }] } },
      ],
    },
    {
      toolCalls: [
        { name: 'start_step', args: { step: 1 } },
        { name: 'write_file', args: { path: 'a.txt', content: 'A\n' } },
      ],
    },
    { toolCalls: [{ name: 'run_command', args: { command: 'cat a.txt' } }] },
    { text: 'Wrote a.txt.' },
  ]);
  fakes.push(fake);
  const dir = await checkout();
  const h = harness(dir);
  const agent = new LlmAgent({ config: modelConfig(fake.baseUrl), budgets: NO_BUDGET });
  const events = await runAll(agent, h.ctx(undefined, session('Write a.txt')));
  assert.deepEqual(kinds(events), [
    'message',
    'checkpoint',
    'plan',
    'checkpoint',
    'progress',
    'progress',
    'checkpoint',
    'progress',
    'done',
  ]);
  assert.equal(readFileSync(join(dir, 'a.txt'), 'utf8'), 'A\n');
  const ran = events[7] as Extract<AgentEvent, { type: 'progress' }>;
  assert.equal(ran.title, 'Ran cat a.txt');
  assert.deepEqual(ran.bash, { command: 'cat a.txt', output: 'A\n', exitCode: 0 });
  const done = events.at(-1) as Extract<AgentEvent, { type: 'done' }>;
  assert.equal(done.summary, 'Wrote a.txt.');
  assert.equal(done.usage?.modelTurns, 5);
  const last = fake.requests.at(-1)!.body.messages;
  const toolMsg = last.findLast((m: any) => m.role === 'tool');
  assert.match(toolMsg.content, /A\n\[exit code 0\]/);
  assert.equal(fake.requests[0]!.body.messages[1].content, 'Write a.txt');
  assert.deepEqual(fake.requests[0]!.body.tools.map((t: any) => t.function.name).sort(), [
    'ask_user',
    'git_diff',
    'git_status',
    'list_files',
    'propose_plan',
    'read_file',
    'search_files',
  ]);
});

const PLAN = { name: 'propose_plan', args: { steps: [{ title: 'Do it', description: 'All of it' }] } };

test('a message sent while the agent works reaches the model at its next turn', async () => {
  const fake = await startFakeOpenAI([
    { toolCalls: [PLAN] },
    { toolCalls: [{ name: 'run_command', args: { command: 'sleep 0.2; echo slow' } }] },
    { text: 'Noted, done.' },
  ]);
  fakes.push(fake);
  const h = harness(await checkout());
  fake.onRequest = (r) => {
    if (r.turn === 1) h.say('Please also be quick.');
  };
  const agent = new LlmAgent({ config: modelConfig(fake.baseUrl), budgets: NO_BUDGET });
  const events = await runAll(agent, h.ctx(undefined, session('Run something slow')));
  assert.equal(events.at(-1)!.type, 'done');
  const sent = fake.requests.find((r) => r.turn === 2)!.body.messages;
  assert.equal(sent.at(-2).role, 'tool');
  assert.deepEqual(sent.at(-1), { role: 'user', content: 'Message from the user:\nPlease also be quick.' });
});

test('a request that needs no changes is answered: one-step plan, the answer as the final message', async () => {
  const answer = 'This repository holds a widget library.';
  const fake = await startFakeOpenAI([{ text: answer }, { text: answer }]);
  fakes.push(fake);
  const h = harness(await checkout());
  const agent = new LlmAgent({ config: modelConfig(fake.baseUrl), budgets: NO_BUDGET });
  const events = await runAll(agent, h.ctx(undefined, session('What is this repository?')));
  assert.deepEqual(kinds(events), ['message', 'plan', 'done']);
  assert.match(fake.requests[1]!.body.messages.at(-1).content, /Please call propose_plan/);
  assert.deepEqual((events[1] as Extract<AgentEvent, { type: 'plan' }>).steps, [
    { title: 'Answer the request', description: answer },
  ]);
  assert.equal((events[2] as Extract<AgentEvent, { type: 'done' }>).summary, answer);
});

test('the loop detector nudges once, then pauses; a message resumes with a fresh count', async () => {
  const read = { toolCalls: [{ name: 'read_file', args: { path: 'x.txt' } }] };
  const fake = await startFakeOpenAI([
    { toolCalls: [PLAN] },
    read,
    read,
    read,
    read,
    read,
    read,
    { text: 'Stopped reading.' },
  ]);
  fakes.push(fake);
  const dir = await checkout();
  const h = harness(dir);
  const agent = new LlmAgent({ config: modelConfig(fake.baseUrl, { stream: false }), budgets: NO_BUDGET });
  const s = session('Read x.txt');
  const first = await runAll(agent, h.ctx(undefined, s));
  const pause = first.at(-1) as Extract<AgentEvent, { type: 'pause' }>;
  assert.equal(pause.type, 'pause');
  assert.match(pause.reason, /kept repeating the same read_file call/);
  const nudged = fake.requests.find((r) => r.turn === 4)!.body.messages.at(-1);
  assert.equal(nudged.role, 'user');
  assert.match(nudged.content, /This looks like a loop/);
  assert.equal(fake.requests.length, 7);

  h.say('Stop reading x.txt; just finish.');
  const second = await runAll(agent, h.ctx(pause.checkpoint, s));
  assert.deepEqual(kinds(second), ['done']);
  const resumed = fake.requests.at(-1)!;
  assert.equal(resumed.turn, 7);
  assert.match(resumed.body.messages.at(-1).content, /Stop reading x.txt/);
});

test('a turn budget pauses the session; the next run has a fresh budget', async () => {
  const fake = await startFakeOpenAI([
    { toolCalls: [PLAN] },
    { toolCalls: [{ name: 'write_file', args: { path: 'b.txt', content: 'B\n' } }] },
    { text: 'Done after the pause.' },
  ]);
  fakes.push(fake);
  const dir = await checkout();
  const h = harness(dir);
  const agent = new LlmAgent({ config: modelConfig(fake.baseUrl), budgets: { ...NO_BUDGET, maxTurns: 2 } });
  const s = session('Write b.txt');
  const first = await runAll(agent, h.ctx(undefined, s));
  const pause = first.at(-1) as Extract<AgentEvent, { type: 'pause' }>;
  assert.equal(pause.type, 'pause');
  assert.match(pause.reason, /budget of 2 model turns/);
  assert.equal(fake.requests.length, 2);
  h.say('Carry on');
  const second = await runAll(agent, h.ctx(pause.checkpoint, s));
  const done = second.at(-1) as Extract<AgentEvent, { type: 'done' }>;
  assert.equal(done.summary, 'Done after the pause.');
  assert.equal(done.usage?.modelTurns, 3);
  assert.equal((done.checkpoint as any).spent.turns, 1);
});

test('planning is read-only: a write is refused before the plan; bad calls get error results', async () => {
  const fake = await startFakeOpenAI([
    {
      toolCalls: [
        { name: 'write_file', args: { path: 'evil.txt', content: 'x' } },
        { name: 'read_file', args: '{not json' },
        { name: 'read_file', args: { path: '../outside' } },
      ],
    },
    { toolCalls: [PLAN] },
    { text: 'Nothing to change.' },
  ]);
  fakes.push(fake);
  const dir = await checkout();
  const h = harness(dir);
  const agent = new LlmAgent({ config: modelConfig(fake.baseUrl), budgets: NO_BUDGET });
  await runAll(agent, h.ctx(undefined, session('Try things')));
  const results = fake.requests[1]!.body.messages.filter((m: any) => m.role === 'tool');
  assert.equal(results.length, 3);
  assert.match(results[0].content, /no tool named 'write_file'/);
  assert.match(results[1].content, /not valid JSON/);
  assert.match(results[2].content, /must not contain '\.\.'/);
  assert.throws(() => readFileSync(join(dir, 'evil.txt')));
});

test('the SDK checks each call against its tool schema; a bad call is reported back to the model', async () => {
  const fake = await startFakeOpenAI([
    {
      toolCalls: [
        { name: 'read_file', args: {} },
        { name: 'read_file', args: { path: 7 } },
        { name: 'list_files', args: { depth: 'deep' } },
        { name: 'propose_plan', args: { steps: [] } },
        { name: 'list_files', args: { path: null, depth: null } },
      ],
    },
    { toolCalls: [{ name: 'propose_plan', args: { steps: [{ title: '  ', description: 'blank title' }] } }] },
    { toolCalls: [PLAN] },
    { toolCalls: [{ name: 'run_command', args: { command: '   ' } }] },
    { text: 'Nothing to change.' },
  ]);
  fakes.push(fake);
  const dir = await checkout();
  const h = harness(dir);
  const agent = new LlmAgent({ config: modelConfig(fake.baseUrl), budgets: NO_BUDGET });
  const events = await runAll(agent, h.ctx(undefined, session('Try bad calls')));
  const toolResults = (i: number) => fake.requests[i]!.body.messages.filter((m: any) => m.role === 'tool');
  const first = toolResults(1);
  assert.equal(first.length, 5);
  assert.match(first[0].content, /^Error: invalid arguments for read_file: "path": .*expected string/);
  assert.match(
    first[1].content,
    /^Error: invalid arguments for read_file: "path": .*expected string, received number/,
  );
  assert.match(first[2].content, /^Error: invalid arguments for list_files: "depth": .*expected number/);
  assert.match(first[3].content, /^Error: invalid arguments for propose_plan: "steps": Too small/);
  assert.doesNotMatch(first[4].content, /Error/, 'null stands for an optional argument not given');
  assert.match(
    toolResults(2).at(-1).content,
    /invalid arguments for propose_plan: "steps\.0\.title": Too small/,
  );
  assert.match(
    toolResults(4).at(-1).content,
    /invalid arguments for run_command: "command": must not be empty/,
  );
  assert.equal(events.filter((e) => e.type === 'plan').length, 1, 'only the valid plan was taken');
  assert.equal(events.at(-1)?.type, 'done');
});

test('a permanent model error fails with a clear reason that never holds the key', async () => {
  const key = 'sk-test-harness-key-123';
  const fake = await startFakeOpenAI([
    { error: { status: 401, message: `Incorrect API key provided: ${key}` } },
  ]);
  fakes.push(fake);
  const dir = await checkout();
  const h = harness(dir);
  const agent = new LlmAgent({ config: modelConfig(fake.baseUrl, { apiKey: key }), budgets: NO_BUDGET });
  const events = await runAll(agent, h.ctx(undefined, session('Anything')));
  const fail = events.at(-1) as Extract<AgentEvent, { type: 'fail' }>;
  assert.equal(fail.type, 'fail');
  assert.match(fail.reason, /refused \(HTTP 401: Incorrect API key provided: \*\*\*\)/);
  assert.ok(!JSON.stringify(events).includes(key));
  assert.equal(fake.requests.length, 1, 'a 401 is not retried');
  assert.equal(fake.requests[0]!.headers.authorization, `Bearer ${key}`);
});

test('429 and 5xx are retried, honouring Retry-After', async () => {
  const fake = await startFakeOpenAI([
    {
      failFirst: [{ status: 429, headers: { 'retry-after': '1' } }, { status: 503 }],
      toolCalls: [PLAN],
    },
    { text: 'ok' },
  ]);
  fakes.push(fake);
  const dir = await checkout();
  const h = harness(dir);
  const agent = new LlmAgent({ config: modelConfig(fake.baseUrl), budgets: NO_BUDGET });
  const events = await runAll(agent, h.ctx(undefined, session('Anything')));
  assert.equal(events.at(-1)!.type, 'done');
  const turn0 = fake.requests.filter((r) => r.turn === 0);
  assert.deepEqual(
    turn0.map((r) => r.status),
    [429, 503, 200],
  );
  assert.ok(turn0[1]!.at - turn0[0]!.at >= 950, 'waited as Retry-After said');
});

test('resuming from any committed event never asks the model for a completed turn again', async () => {
  const script = () => [
    { text: 'Looking.', toolCalls: [{ name: 'list_files', args: {} }] },
    { toolCalls: [PLAN] },
    {
      toolCalls: [
        { name: 'write_file', args: { path: 'c.txt', content: 'C\n' } },
        { name: 'edit_file', args: { path: 'c.txt', old_text: 'C', new_text: 'CC' } },
        { name: 'read_file', args: { path: 'c.txt' } },
      ],
    },
    { toolCalls: [{ name: 'run_command', args: { command: 'cat c.txt' } }] },
    { text: 'All done.' },
  ];
  const fake = await startFakeOpenAI(script());
  fakes.push(fake);
  const dir = await checkout();
  const h = harness(dir);
  const s = session('Write c.txt');
  const events = await runAll(
    new LlmAgent({ config: modelConfig(fake.baseUrl), budgets: NO_BUDGET }),
    h.ctx(undefined, s),
  );
  assert.equal(events.at(-1)!.type, 'done');
  for (const [k, event] of events.slice(0, -1).entries()) {
    const again = await startFakeOpenAI(script());
    fakes.push(again);
    const agent = new LlmAgent({ config: modelConfig(again.baseUrl), budgets: NO_BUDGET });
    const rest = await runAll(agent, h.ctx(event.checkpoint, s));
    const completed = (event.checkpoint as any).messages.filter((m: any) => m.role === 'assistant').length;
    assert.equal(rest.at(-1)!.type, 'done', `resumed after event ${k}`);
    assert.ok(
      again.requests.every((r) => r.turn >= completed && r.status === 200),
      `resumed after event ${k}`,
    );
    assert.deepEqual(
      again.requests.map((r) => r.turn),
      [...Array(5 - completed).keys()].map((i) => i + completed),
    );
    assert.equal(readFileSync(join(dir, 'c.txt'), 'utf8'), 'CC\n');
  }
});

test('a long conversation is compacted before it outgrows the context window', async () => {
  const dir = await checkout();
  const { writeFileSync } = await import('node:fs');
  for (let i = 0; i < 12; i++) writeFileSync(join(dir, `f${i}.txt`), `${`file ${i} `.repeat(700)}\n`);
  const reads: FakeReply[] = [...Array(12).keys()].map((i) => ({
    text: `Reading f${i}.txt, which is part of the long exploration.`,
    toolCalls: [{ name: 'read_file', args: { path: `f${i}.txt` } }],
  }));
  const fake = await startFakeOpenAI([{ toolCalls: [PLAN] }, ...reads, { text: 'Read them all.' }], {
    turnBy: 'arrival',
  });
  fakes.push(fake);
  const h = harness(dir);
  const config = modelConfig(fake.baseUrl, { contextTokens: 12_000 });
  const events = await runAll(
    new LlmAgent({ config, budgets: NO_BUDGET }),
    h.ctx(undefined, session('Read every file')),
  );
  assert.equal(events.at(-1)!.type, 'done', JSON.stringify(events.at(-1)).slice(0, 300));
  assert.ok(
    fake.requests.every((r) => r.status === 200),
    'every compacted conversation is well-formed',
  );
  const sizes = fake.requests.map((r) => JSON.stringify(r.body.messages).length);
  assert.ok(Math.max(...sizes) < 12_000 * 3.5, `requests stay inside the window: ${sizes}`);
  const last = fake.requests.at(-1)!.body.messages;
  assert.equal(last[1].content, 'Read every file', 'the task always stays');
  assert.ok(last.some((m: any) => typeof m.content === 'string' && m.content.includes('was compacted')));
  assert.ok((events.at(-1)!.checkpoint as any).compactions > 0);
});
