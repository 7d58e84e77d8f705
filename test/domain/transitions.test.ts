import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  decideApprovePlan,
  decideCancel,
  decidePause,
  decideResume,
  decideUserMessage,
} from '../../src/domain/commands.ts';
import { StintError } from '../../src/domain/errors.ts';
import { SESSION_STATES, type SessionState } from '../../src/domain/states.ts';
import { allowedTransitions, canTransition, transition } from '../../src/domain/transitions.ts';

// The contract's transitions, written out independently of the implementation.
const LEGAL = new Set<string>([
  'QUEUED>PLANNING',
  'QUEUED>PAUSED',
  'QUEUED>FAILED',
  'PLANNING>AWAITING_PLAN_APPROVAL',
  'PLANNING>IN_PROGRESS',
  'PLANNING>AWAITING_USER_FEEDBACK',
  'PLANNING>PAUSED',
  'PLANNING>FAILED',
  'AWAITING_PLAN_APPROVAL>IN_PROGRESS',
  'AWAITING_PLAN_APPROVAL>PAUSED',
  'AWAITING_PLAN_APPROVAL>FAILED',
  'AWAITING_USER_FEEDBACK>PLANNING',
  'AWAITING_USER_FEEDBACK>IN_PROGRESS',
  'AWAITING_USER_FEEDBACK>PAUSED',
  'AWAITING_USER_FEEDBACK>FAILED',
  'IN_PROGRESS>AWAITING_USER_FEEDBACK',
  'IN_PROGRESS>PAUSED',
  'IN_PROGRESS>COMPLETED',
  'IN_PROGRESS>FAILED',
  'PAUSED>QUEUED',
  'PAUSED>PLANNING',
  'PAUSED>AWAITING_PLAN_APPROVAL',
  'PAUSED>AWAITING_USER_FEEDBACK',
  'PAUSED>IN_PROGRESS',
  'PAUSED>FAILED',
  'COMPLETED>IN_PROGRESS',
]);

function isFailedPrecondition(e: unknown): boolean {
  return e instanceof StintError && e.status === 'FAILED_PRECONDITION' && e.httpStatus === 400;
}

describe('session state machine', () => {
  for (const from of SESSION_STATES) {
    for (const to of SESSION_STATES) {
      const legal = LEGAL.has(`${from}>${to}`);
      test(`${from} -> ${to} is ${legal ? 'allowed' : 'rejected'}`, () => {
        assert.equal(canTransition(from, to), legal);
        if (legal) assert.equal(transition(from, to), to);
        else assert.throws(() => transition(from, to), isFailedPrecondition);
      });
    }
  }

  test('FAILED is final; COMPLETED only re-opens to IN_PROGRESS', () => {
    assert.deepEqual(allowedTransitions('FAILED'), []);
    assert.deepEqual(allowedTransitions('COMPLETED'), ['IN_PROGRESS']);
  });

  test('every state reaches a terminal state', () => {
    for (const start of SESSION_STATES) {
      const seen = new Set<SessionState>([start]);
      const queue: SessionState[] = [start];
      while (queue.length) {
        for (const next of allowedTransitions(queue.shift()!)) {
          if (!seen.has(next)) {
            seen.add(next);
            queue.push(next);
          }
        }
      }
      assert.ok(seen.has('FAILED') || start === 'FAILED' || seen.has('COMPLETED'), start);
    }
  });
});

describe('user actions', () => {
  test('approvePlan only while awaiting approval', () => {
    assert.deepEqual(decideApprovePlan('AWAITING_PLAN_APPROVAL'), {
      state: 'IN_PROGRESS',
      wantsWork: true,
      resumeState: null,
    });
    for (const s of SESSION_STATES.filter((x) => x !== 'AWAITING_PLAN_APPROVAL')) {
      assert.throws(
        () => decideApprovePlan(s),
        (e) => isFailedPrecondition(e) && /AWAITING_PLAN_APPROVAL/.test((e as Error).message),
      );
    }
  });

  test('a message answers a question and returns to the state that asked', () => {
    assert.deepEqual(decideUserMessage('AWAITING_USER_FEEDBACK', 'PLANNING'), {
      state: 'PLANNING',
      wantsWork: true,
      resumeState: null,
    });
    assert.equal(decideUserMessage('AWAITING_USER_FEEDBACK', undefined).state, 'IN_PROGRESS');
  });

  test('a message re-opens a completed session, resumes a paused one, is queued for a busy one', () => {
    assert.deepEqual(decideUserMessage('COMPLETED', undefined), { state: 'IN_PROGRESS', wantsWork: true });
    assert.equal(decideUserMessage('PAUSED', 'PLANNING').state, 'PLANNING');
    for (const s of ['QUEUED', 'PLANNING', 'IN_PROGRESS', 'AWAITING_PLAN_APPROVAL'] as const) {
      assert.deepEqual(decideUserMessage(s, undefined), { state: s });
    }
    assert.throws(() => decideUserMessage('FAILED', undefined), isFailedPrecondition);
  });

  test('pause, resume and cancel', () => {
    assert.deepEqual(decidePause('IN_PROGRESS'), {
      state: 'PAUSED',
      wantsWork: false,
      resumeState: 'IN_PROGRESS',
    });
    assert.throws(() => decidePause('COMPLETED'), isFailedPrecondition);
    assert.deepEqual(decideResume('PAUSED', 'IN_PROGRESS'), {
      state: 'IN_PROGRESS',
      wantsWork: true,
      resumeState: null,
    });
    assert.equal(decideResume('PAUSED', 'AWAITING_PLAN_APPROVAL').wantsWork, false);
    assert.throws(() => decideResume('IN_PROGRESS', undefined), isFailedPrecondition);
    for (const s of SESSION_STATES) {
      if (s === 'COMPLETED' || s === 'FAILED') assert.throws(() => decideCancel(s), isFailedPrecondition);
      else assert.equal(decideCancel(s).state, 'FAILED');
    }
  });
});
