/** Persisted LLM-agent checkpoints of every released version stay loadable and resumable. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { AgentEvent } from '../../../src/agents/agent.ts';
import { CheckpointError, loadCheckpoint } from '../../../src/agents/llm/checkpoint.ts';
import { LlmAgent } from '../../../src/agents/llm/llm-agent.ts';
import { type FakeOpenAI, startFakeOpenAI } from '../../support/fake-openai.ts';
import { checkout, harness, modelConfig, runAll, session } from '../harness.ts';

const fixture = (name: string) =>
  JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures', name), 'utf8'));
const fakes: FakeOpenAI[] = [];
after(async () => {
  for (const f of fakes) await f.close();
});

test('v1: a session waiting for an answer resumes with the answer as the tool result', async () => {
  const saved = fixture('llm-checkpoint-v1-asking.json');
  const cp = loadCheckpoint(saved, 'ignored: the transcript holds the task');
  assert.equal(cp.phase, 'working');
  assert.equal(cp.asking, 'call_2_1');
  assert.equal(cp.spent.wallMs, 1234);
  assert.deepEqual(saved, fixture('llm-checkpoint-v1-asking.json'), 'loading does not change its input');

  // The fake answers turn 3 (three assistant turns are in the fixture).
  const fake = await startFakeOpenAI([{}, {}, {}, { text: 'Wrote hello.txt.', toolCalls: [] }]);
  fakes.push(fake);
  const h = harness(await checkout());
  h.say('Say "hello, world".');
  const agent = new LlmAgent({
    config: modelConfig(fake.baseUrl),
    budgets: { maxTurns: 0, maxTokens: 0, maxWallMs: 0 },
  });
  const events = await runAll(agent, h.ctx(saved, session('Add a greeting file')));
  const done = events.at(-1) as Extract<AgentEvent, { type: 'done' }>;
  assert.equal(done.summary, 'Wrote hello.txt.');
  const sent = fake.requests[0]!.body.messages;
  const answer = sent.at(-1);
  assert.equal(answer.role, 'tool');
  assert.equal(answer.tool_call_id, 'call_2_1');
  assert.match(answer.content, /Say "hello, world"\./);
});

test('unreadable checkpoints are refused with a reason', () => {
  assert.throws(() => loadCheckpoint({ v: 99 }, 'p'), CheckpointError);
  assert.throws(() => loadCheckpoint({ v: 1, phase: 'planning', messages: [] }, 'p'), /no transcript/);
  assert.throws(() => loadCheckpoint('x', 'p'), CheckpointError);
  assert.deepEqual(loadCheckpoint(undefined, 'the task').messages, [{ role: 'user', content: 'the task' }]);
});
