/** AGENTS.md reaches the model: the root file in the system prompt, a nested one with the first result below it. */
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  MAX_INSTRUCTION_CHARS,
  nestedInstructions,
  rootInstructions,
} from '../../src/agents/llm/instructions.ts';
import { LlmAgent } from '../../src/agents/llm/llm-agent.ts';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.ts';
import { checkout, harness, modelConfig, runAll, session } from './harness.ts';

const fakes: FakeOpenAI[] = [];
after(async () => {
  for (const f of fakes) await f.close();
});

const NO_BUDGET = { maxTurns: 0, maxTokens: 0, maxWallMs: 0 };

test('the root AGENTS.md is in every system prompt; a nested one comes once, with the first result under it', async () => {
  const dir = await checkout();
  writeFileSync(join(dir, 'AGENTS.md'), '# Rules\nRun `make check` before you finish.\n');
  mkdirSync(join(dir, 'pkg', 'inner'), { recursive: true });
  writeFileSync(join(dir, 'pkg', 'AGENTS.md'), 'In pkg/, use tabs.\n');
  writeFileSync(join(dir, 'pkg', 'inner', 'a.txt'), 'a\n');
  writeFileSync(join(dir, 'pkg', 'inner', 'b.txt'), 'b\n');
  const fake = await startFakeOpenAI([
    { toolCalls: [{ name: 'read_file', args: { path: 'pkg/inner/a.txt' } }] },
    { toolCalls: [{ name: 'read_file', args: { path: 'pkg/inner/b.txt' } }] },
    { text: 'Nothing to change.' },
  ]);
  fakes.push(fake);
  const agent = new LlmAgent({ config: modelConfig(fake.baseUrl), budgets: NO_BUDGET });
  await runAll(agent, harness(dir).ctx(undefined, session('Look at pkg/inner')));

  assert.ok(fake.requests.length >= 3, `${fake.requests.length} requests`);
  for (const r of fake.requests) {
    const system = r.body.messages[0];
    assert.equal(system.role, 'system');
    assert.match(system.content, /REPOSITORY INSTRUCTIONS[\s\S]*Run `make check` before you finish\./);
  }
  const toolResults = fake.requests[2]!.body.messages.filter((m: any) => m.role === 'tool');
  assert.equal(toolResults.length, 2);
  assert.match(toolResults[0].content, /Instructions from pkg\/AGENTS\.md[\s\S]*In pkg\/, use tabs\./);
  assert.doesNotMatch(toolResults[1].content, /AGENTS\.md/, 'given once');
});

test('instructions are bounded, read only from regular files inside the checkout, nearest last', async () => {
  const dir = await checkout();
  writeFileSync(join(dir, 'AGENTS.md'), 'x'.repeat(MAX_INSTRUCTION_CHARS + 500));
  const root = await rootInstructions(dir);
  assert.ok(root !== undefined && root.length < MAX_INSTRUCTION_CHARS + 200);
  assert.match(root, /500 more characters/);

  mkdirSync(join(dir, 'a', 'b'), { recursive: true });
  writeFileSync(join(dir, 'a', 'AGENTS.md'), 'outer');
  writeFileSync(join(dir, 'a', 'b', 'AGENTS.md'), 'inner');
  const seen = new Set<string>();
  const text = await nestedInstructions(dir, 'a/b/file.ts', false, seen);
  assert.ok(text !== undefined && text.indexOf('outer') < text.indexOf('inner'), text);
  assert.deepEqual([...seen], ['a/AGENTS.md', 'a/b/AGENTS.md']);
  assert.equal(await nestedInstructions(dir, 'a/b/other.ts', false, seen), undefined);

  mkdirSync(join(dir, 'evil'));
  symlinkSync('/etc/passwd', join(dir, 'evil', 'AGENTS.md'));
  assert.equal(await nestedInstructions(dir, 'evil', true, new Set()), undefined);
  assert.equal(await nestedInstructions(dir, '../outside/x', false, new Set()), undefined);
  assert.equal(await nestedInstructions(dir, '/etc/x', false, new Set()), undefined);
});
