/** The scripted agent answers user messages exactly as its script says (the runner simulated in-process). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AgentEvent } from '../../src/agents/agent.ts';
import { parseScript } from '../../src/agents/scripted/script.ts';
import { ScriptedAgent } from '../../src/agents/scripted/scripted-agent.ts';
import { checkout, harness, runAll, session } from './harness.ts';

function prompt(script: unknown): string {
  return `Task\n\n\`\`\`stint-script\n${JSON.stringify(script)}\n\`\`\`\n`;
}

/** What the runner would record: agent messages as text, asks as `?text`, the end as `done`/`fail:`. */
function said(events: AgentEvent[]): string[] {
  return events.flatMap((e) => {
    if (e.type === 'message') return [e.text];
    if (e.type === 'ask') return [`?${e.question}`];
    if (e.type === 'done') return ['done'];
    if (e.type === 'fail') return [`fail:${e.reason}`];
    return [];
  });
}

/** Plays a session: the plan run, then one run per entry of `turns` (messages sent before it). */
async function play(script: unknown, turns: string[][], opts: { checkpoint?: unknown } = {}) {
  const h = harness(await checkout());
  const agent = new ScriptedAgent();
  const s = session(prompt(script));
  let checkpoint = opts.checkpoint;
  if (checkpoint === undefined) {
    const planned = await runAll(agent, h.ctx(undefined, s));
    assert.equal(planned[0]?.type, 'plan');
    checkpoint = planned.at(-1)!.checkpoint;
  }
  const runs: string[][] = [];
  const all: AgentEvent[] = [];
  for (const messages of turns) {
    for (const m of messages) h.say(m);
    const events = await runAll(agent, h.ctx(checkpoint, s));
    all.push(...events);
    runs.push(said(events));
    checkpoint = events.at(-1)?.checkpoint ?? checkpoint;
  }
  return { runs, all, checkpoint, h, agent, s };
}

test('the answer to an ask is followed by the next scripted step, not an acknowledgement', async () => {
  const { runs } = await play(
    {
      plan: ['p'],
      steps: [{ ask: 'Which punctuation?' }, { message: 'Thanks, using it' }, { message: 'bye' }],
    },
    [[], ['Use an exclamation mark']],
  );
  assert.deepEqual(runs, [['?Which punctuation?'], ['Thanks, using it', 'bye', 'done']]);
});

test('an ask with nothing said after it acknowledges the answer (a waiting client gets a reply)', async () => {
  const { runs } = await play({ steps: [{ ask: 'Sure?' }, { progress: 'working' }] }, [
    [],
    ['yes,\n  go ahead'],
  ]);
  assert.deepEqual(runs, [['?Sure?'], ['Thanks, noted: "yes, go ahead"', 'done']]);
});

test('without onMessage a message sent meanwhile is answered by what the script says next', async () => {
  const { runs } = await play({ steps: [{ progress: 'a' }, { message: 'next words' }] }, [['early message']]);
  assert.deepEqual(runs, [['next words', 'done']]);
  // A finished session has nothing more to say: a follow-up is acknowledged, then it completes again.
  const finished = await play({ steps: [{ message: 'only' }] }, [[], ['one more']]);
  assert.deepEqual(finished.runs, [
    ['only', 'done'],
    ['Thanks, noted: "one more"', 'done'],
  ]);
});

test('onMessage steps answer each message that is not an answer, with {{message}}', async () => {
  const script = {
    steps: [{ ask: 'Q?' }, { message: 'after answer' }],
    onMessage: [{ progress: 'reading' }, { reply: 'You said: {{message}}' }],
  };
  const { runs, all } = await play(script, [['before ask'], ['the answer'], ['follow-up 1', 'follow-up 2']]);
  assert.deepEqual(runs, [
    ['You said: before ask', '?Q?'],
    ['after answer', 'done'],
    ['You said: follow-up 1', 'You said: follow-up 2', 'done'],
  ]);
  assert.ok(all.some((e) => e.type === 'progress' && e.title === 'reading'));
});

test('onMessage {reply} shorthand, onMessage [] for no reply', async () => {
  const short = await play({ steps: [], onMessage: { reply: 'Got it' } }, [[], ['hi']]);
  assert.deepEqual(short.runs, [['done'], ['Got it', 'done']]);
  const silent = await play({ steps: [{ message: 'm' }], onMessage: [] }, [[], ['hi']]);
  assert.deepEqual(silent.runs, [['m', 'done'], ['done']]);
});

test('an ask inside onMessage waits for its answer, then the handler goes on', async () => {
  const script = { steps: [{ message: 'm' }], onMessage: [{ ask: 'Really?' }, { reply: 'OK: {{message}}' }] };
  const { runs } = await play(script, [[], ['change it'], ['yes']]);
  assert.deepEqual(runs, [['m', 'done'], ['?Really?'], ['OK: yes', 'done']]);
});

test('a crash between two handler steps resumes at the second (the checkpoint carries the inbox)', async () => {
  const script = { steps: [], onMessage: [{ reply: 'one {{message}}' }, { reply: 'two {{message}}' }] };
  const first = await play(script, [[]]);
  first.h.say('x');
  first.h.say('y');
  const events: AgentEvent[] = [];
  for await (const e of first.agent.run(first.h.ctx(first.checkpoint, first.s))) {
    events.push(JSON.parse(JSON.stringify(e)));
    if (events.length === 1) break; // the process dies after committing the first reply
  }
  const resumed = await runAll(first.agent, first.h.ctx(events[0]!.checkpoint, first.s));
  assert.deepEqual([...said(events), ...said(resumed)], ['one x', 'two x', 'one y', 'two y', 'done']);
});

test('v1 checkpoints (before onMessage) still load', async () => {
  const script = { steps: [{ ask: 'Q?' }, { message: 'after' }] };
  // Saved by the previous version while waiting for the answer to steps[0].
  const { runs } = await play(script, [['answer']], { checkpoint: { v: 1, next: 1 } });
  assert.deepEqual(runs, [['after', 'done']]);
  const mid = await play({ steps: [{ message: 'a' }, { message: 'b' }] }, [[]], {
    checkpoint: { v: 1, next: 1 },
  });
  assert.deepEqual(mid.runs, [['b', 'done']]);
  // A stamped v1 checkpoint (written between the stamp and v2) too.
  const stamped = await play(script, [['answer']], { checkpoint: { agent: 'scripted', v: 1, next: 1 } });
  assert.deepEqual(stamped.runs, [['after', 'done']]);
  assert.deepEqual(stamped.checkpoint, { agent: 'scripted', v: 2, next: 2, heard: 'answer' });
  // A newer version than this code reads fails the session with the reason (checkpoint-version.ts).
  const newer = await play(script, [[]], { checkpoint: { agent: 'scripted', v: 3, next: 0 } });
  assert.deepEqual(newer.runs, [
    [
      'fail:Cannot resume the session: the saved agent state is version 3 of the scripted agent, newer than this server reads (up to 2); run a newer Stint.',
    ],
  ]);
});

test('the script format refuses malformed onMessage and reply steps', () => {
  assert.throws(
    () => parseScript({ plan: ['p'], onMessage: 'hi' }, 'x'),
    /onMessage\[0\]: must be an object/,
  );
  assert.throws(() => parseScript({ plan: ['p'], onMessage: [{ reply: '' }] }, 'x'), /"reply" must be/);
  assert.throws(
    () => parseScript({ plan: ['p'], steps: [{ reply: 'a', message: 'b' }] }, 'x'),
    /exactly one/,
  );
  assert.deepEqual(parseScript({ plan: ['p'], onMessage: { reply: 'r' } }, 'x').onMessage, [{ reply: 'r' }]);
});
