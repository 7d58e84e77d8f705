/** Compaction keeps the task, the recent turns and every tool call's result right after it. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ModelMessage } from 'ai';
import { compact, DIGEST_MARK, estimateTokens } from '../../../src/agents/llm/compaction.ts';

function turn(i: number, size: number): ModelMessage[] {
  return [
    {
      role: 'assistant',
      content: [
        { type: 'text', text: `Step ${i}` },
        { type: 'tool-call', toolCallId: `c${i}`, toolName: 'read_file', input: { path: `f${i}` } },
      ],
    },
    {
      role: 'tool',
      content: [
        {
          type: 'tool-result',
          toolCallId: `c${i}`,
          toolName: 'read_file',
          output: { type: 'text', value: 'x'.repeat(size) },
        },
      ],
    },
  ];
}

function wellFormed(messages: ModelMessage[]): void {
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    if (m.role === 'tool') {
      const prev = messages[i - 1]!;
      assert.ok(
        prev.role === 'assistant' || prev.role === 'tool',
        `tool message at ${i} follows ${prev.role}`,
      );
    }
  }
}

test('old tool outputs are elided first; then old turns become a digest', () => {
  const messages: ModelMessage[] = [{ role: 'user', content: 'the task' }];
  for (let i = 0; i < 20; i++) messages.push(...turn(i, 2000));
  const before = estimateTokens(messages);

  const elided = compact(messages, before * 0.9)!;
  assert.equal(elided.length, messages.length, 'eliding keeps every message');
  assert.match(JSON.stringify(elided[2]), /elided to save context/);
  assert.deepEqual(elided.slice(-6), messages.slice(-6), 'recent messages stay whole');

  const small = compact(messages, 2500)!;
  wellFormed(small);
  assert.deepEqual(small[0], { role: 'user', content: 'the task' });
  assert.ok((small[1]!.content as string).startsWith(DIGEST_MARK));
  assert.match(small[1]!.content as string, /you called read_file\(\{"path":"f0"\}\)/);
  assert.deepEqual(small.at(-1), messages.at(-1));
  assert.ok(estimateTokens(small) < before / 4);

  // Compacting again folds the old digest into the new one.
  const more = [
    ...small,
    ...turn(20, 3000),
    ...turn(21, 3000),
    ...turn(22, 3000),
    ...turn(23, 3000),
    ...turn(24, 3000),
  ];
  const again = compact(more, 2500)!;
  wellFormed(again);
  assert.equal(
    again.filter((m) => typeof m.content === 'string' && m.content.startsWith(DIGEST_MARK)).length,
    1,
  );
  assert.match(again[1]!.content as string, /f0[\s\S]*f2[0-9]/);
  assert.equal(compact([{ role: 'user', content: 'tiny' }], 1000), undefined, 'nothing to do');
});
