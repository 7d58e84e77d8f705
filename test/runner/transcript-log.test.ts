/** The transcript log: each step stores what it added; replaying the entries gives the checkpoint back. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { replayTranscript, TranscriptLog } from '../../src/runner/transcript-log.ts';
import type { TranscriptEntry } from '../../src/store/store.ts';

test('an appending agent stores only its new messages; a rewrite stores the array; replay matches', () => {
  const log = new TranscriptLog();
  const entries: TranscriptEntry[] = [];
  const cp: any = { v: 1, phase: 'planning', messages: [{ role: 'user', content: 'task' }], nudges: 0 };
  entries.push(log.entry(cp));
  assert.equal(entries[0]!.kind, 'base');
  for (let i = 0; i < 5; i++) {
    cp.messages.push({ role: 'assistant', content: `turn ${i}` });
    cp.nudges = i;
    entries.push(log.entry(cp));
    const d = entries.at(-1)!.body as any;
    assert.equal(entries.at(-1)!.kind, 'delta');
    assert.deepEqual(d.append, { messages: [{ role: 'assistant', content: `turn ${i}` }] });
    assert.equal(d.set.messages, undefined, 'the old messages are not stored again');
  }
  // Compaction replaces the array: stored whole, still a delta of the other fields.
  cp.messages = [cp.messages[0], { role: 'user', content: 'digest' }];
  cp.pending = [{ id: 1 }];
  entries.push(log.entry(cp));
  delete cp.pending;
  entries.push(log.entry(cp));
  assert.deepEqual((entries.at(-1)!.body as any).unset, ['pending']);
  assert.deepEqual(replayTranscript(JSON.parse(JSON.stringify(entries))), cp);
});

test('after a resume (the agent works on a copy) the next step is still a delta', () => {
  const saved = { v: 1, messages: ['a', 'b'] };
  const log = new TranscriptLog(JSON.parse(JSON.stringify(saved)));
  const copy = structuredClone(saved);
  copy.messages.push('c');
  const e = log.entry(copy);
  assert.equal(e.kind, 'delta');
  assert.deepEqual((e.body as any).append, { messages: ['c'] });
  assert.deepEqual(replayTranscript([{ kind: 'base', body: saved }, e]), copy);
});

test('any sequence of checkpoints replays to the last one', () => {
  const value = fc.oneof(fc.integer(), fc.string(), fc.constant(null));
  const checkpoint = fc.record(
    { v: fc.constant(1), messages: fc.array(value), extra: value, list: fc.array(value) },
    { requiredKeys: ['v'], noNullPrototype: true },
  );
  fc.assert(
    fc.property(
      fc.array(fc.oneof(checkpoint, fc.constant(undefined), fc.integer()), { minLength: 1 }),
      (cps) => {
        const log = new TranscriptLog();
        let entries: TranscriptEntry[] = [];
        for (const cp of cps) {
          const e = log.entry(cp);
          entries = e.kind === 'base' ? [e] : [...entries, e];
        }
        const want = cps.at(-1);
        assert.deepEqual(replayTranscript(JSON.parse(JSON.stringify(entries))), want ?? undefined);
      },
    ),
  );
});
