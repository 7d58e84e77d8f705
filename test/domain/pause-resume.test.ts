import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideCancel, decidePause, decideResume, decideUserMessage } from '../../src/domain/commands.ts';

test('resuming to a waiting state needs no worker until the user acts', () => {
  assert.deepEqual(decideResume('PAUSED', 'AWAITING_USER_FEEDBACK'), {
    state: 'AWAITING_USER_FEEDBACK',
    wantsWork: false,
    resumeState: null,
  });
  assert.equal(decideResume('PAUSED', 'AWAITING_PLAN_APPROVAL').wantsWork, false);
  for (const s of ['QUEUED', 'PLANNING', 'IN_PROGRESS'] as const)
    assert.equal(decideResume('PAUSED', s).wantsWork, true);
});

test('a message to a session paused while asking is the answer: work goes on', () => {
  const paused = decidePause('AWAITING_USER_FEEDBACK');
  assert.equal(paused.resumeState, 'AWAITING_USER_FEEDBACK');
  assert.deepEqual(decideUserMessage('PAUSED', 'AWAITING_USER_FEEDBACK'), {
    state: 'IN_PROGRESS',
    wantsWork: true,
    resumeState: null,
  });
});

test('cancel ends every non-terminal state FAILED, with no work left', () => {
  assert.deepEqual(decideCancel('PAUSED'), { state: 'FAILED', wantsWork: false, resumeState: null });
});
