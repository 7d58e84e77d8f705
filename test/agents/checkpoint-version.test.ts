/**
 * Checkpoints are version-checked: after --agent changes, or after a downgrade, an agent handed a
 * checkpoint another agent wrote, or a newer version of its own, fails the session with the reason
 * (it used to read it as its own: the scripted agent took an LLM transcript for "all steps played"
 * and reported the session done). Checkpoints written before the stamp stay loadable.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Agent, AgentEvent } from '../../src/agents/agent.ts';
import { CliAgent } from '../../src/agents/cli/cli-agent.ts';
import { LlmAgent } from '../../src/agents/llm/llm-agent.ts';
import { ScriptedAgent } from '../../src/agents/scripted/scripted-agent.ts';
import { scriptPrompt } from '../support/git-fixtures.ts';
import { checkout, harness, modelConfig, runAll, session } from './harness.ts';

const fixture = (name: string) =>
  JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8'));

const PROMPT = scriptPrompt('checkpoints', {
  plan: ['one', 'two'],
  steps: [{ message: 'first' }, { message: 'second' }],
});

function agents(): Record<'scripted' | 'llm' | 'cli', Agent> {
  return {
    scripted: new ScriptedAgent(),
    // Never reached: each case fails before the first model call or command.
    llm: new LlmAgent({
      config: modelConfig('http://127.0.0.1:9/v1'),
      budgets: { maxTurns: 0, maxTokens: 0, maxWallMs: 0 },
    }),
    cli: new CliAgent({ name: 'nothing', template: ['/bin/false'], timeoutMs: 5_000 }),
  };
}

const written = {
  scripted: [fixture('scripted-checkpoint-v1.json'), { agent: 'scripted', v: 1, next: 1 }],
  llm: [
    fixture('llm-checkpoint-v1-asking.json'),
    { ...fixture('llm-checkpoint-v1-asking.json'), agent: 'llm' },
  ],
  cli: [fixture('cli-checkpoint-v1-done.json'), { agent: 'cli', v: 1, phase: 'done', runs: 1, notes: [] }],
};

async function firstEvent(agent: Agent, checkpoint: unknown): Promise<AgentEvent> {
  const h = harness(await checkout());
  const events = await runAll(agent, h.ctx(checkpoint, session(PROMPT)));
  return events[0]!;
}

test("an agent handed another agent's checkpoint fails the session and says why", async () => {
  const all = agents();
  for (const [name, agent] of Object.entries(all)) {
    for (const [writer, checkpoints] of Object.entries(written)) {
      if (writer === name) continue;
      for (const cp of checkpoints) {
        const e = await firstEvent(agent, cp);
        assert.equal(e.type, 'fail', `${name} given a ${writer} checkpoint: ${JSON.stringify(e)}`);
        const reason = (e as Extract<AgentEvent, { type: 'fail' }>).reason;
        assert.match(reason, /^Cannot resume the session: the saved agent state was (not )?written by the /);
        assert.match(reason, /--agent/);
        assert.deepEqual(e.checkpoint, cp, 'the foreign checkpoint is kept as it was');
      }
    }
  }
});

test('a checkpoint of a newer version, or malformed, fails the session with the reason', async () => {
  const all = agents();
  // The scripted agent reads up to v2 (onMessage replies, src/agents/scripted/checkpoint.ts).
  const newer = {
    scripted: { agent: 'scripted', v: 3, next: 0 },
    llm: { ...fixture('llm-checkpoint-v1-asking.json'), agent: 'llm', v: 2 },
    cli: { agent: 'cli', v: 2, phase: 'done', runs: 1, notes: [] },
  };
  const reads = { scripted: 2, llm: 1, cli: 1 };
  for (const [name, cp] of Object.entries(newer)) {
    const e = await firstEvent(all[name as keyof typeof all], cp);
    assert.equal(e.type, 'fail', name);
    const up = reads[name as keyof typeof reads];
    assert.match(
      (e as Extract<AgentEvent, { type: 'fail' }>).reason,
      new RegExp(`is version ${up + 1} of the ${name} agent, newer than this server reads \\(up to ${up}\\)`),
    );
  }
  const bad = await firstEvent(all.scripted, { agent: 'scripted', v: 1, next: 'x' });
  assert.match((bad as Extract<AgentEvent, { type: 'fail' }>).reason, /malformed/);
  const legacyUnknown = await firstEvent(all.scripted, { v: 7, next: 1 });
  assert.equal(legacyUnknown.type, 'fail');
});

test('checkpoints written before the stamp, and stamped ones, still resume', async () => {
  const all = agents();
  for (const cp of written.scripted) {
    const h = harness(await checkout());
    const events = await runAll(all.scripted, h.ctx(cp, session(PROMPT)));
    assert.deepEqual(
      events.map((e) => (e.type === 'message' ? e.text : e.type)),
      ['second', 'done'],
      'resumes at step 1',
    );
    assert.deepEqual(events.at(-1)!.checkpoint, { agent: 'scripted', v: 2, next: 2 });
  }
  for (const cp of written.cli) {
    const e = await firstEvent(all.cli, cp);
    assert.equal(e.type, 'done', 'a finished CLI run with no new message is done without running again');
  }
});
