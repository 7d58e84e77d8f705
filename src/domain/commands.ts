/**
 * What a user's action does to a session, decided without I/O. The API applies
 * the returned change and activity in one store transaction.
 */
import { failedPrecondition } from './errors.ts';
import { type SessionState, WORKING_STATES } from './states.ts';
import { transition } from './transitions.ts';

export interface Decision {
  state: SessionState;
  /** Whether the session now needs a worker. */
  wantsWork?: boolean;
  /** New resume state (null clears it). */
  resumeState?: SessionState | null;
}

export function decideApprovePlan(state: SessionState): Decision {
  if (state !== 'AWAITING_PLAN_APPROVAL') {
    throw failedPrecondition(
      `approvePlan is only allowed while the session is AWAITING_PLAN_APPROVAL; it is ${state}.`,
    );
  }
  return { state: transition(state, 'IN_PROGRESS'), wantsWork: true, resumeState: null };
}

/** A user message wakes a waiting session, re-opens a completed one, and is queued for a working one. */
export function decideUserMessage(state: SessionState, resumeState: SessionState | undefined): Decision {
  switch (state) {
    case 'FAILED':
      throw failedPrecondition('The session has FAILED; it cannot take messages.');
    case 'AWAITING_USER_FEEDBACK':
      return { state: transition(state, resumeState ?? 'IN_PROGRESS'), wantsWork: true, resumeState: null };
    case 'PAUSED': {
      // The message resumes the session; one paused while asking is the answer, so work goes on.
      const back = resumeState === 'AWAITING_USER_FEEDBACK' ? 'IN_PROGRESS' : (resumeState ?? 'IN_PROGRESS');
      return {
        state: transition(state, back),
        wantsWork: back !== 'AWAITING_PLAN_APPROVAL',
        resumeState: null,
      };
    }
    case 'COMPLETED':
      return { state: transition(state, 'IN_PROGRESS'), wantsWork: true };
    default:
      // QUEUED, PLANNING, IN_PROGRESS, AWAITING_PLAN_APPROVAL: delivered at the agent's next turn.
      return { state };
  }
}

export function decidePause(state: SessionState): Decision {
  return { state: transition(state, 'PAUSED'), wantsWork: false, resumeState: state };
}

export function decideResume(state: SessionState, resumeState: SessionState | undefined): Decision {
  if (state !== 'PAUSED') throw failedPrecondition(`Only a PAUSED session can be resumed; it is ${state}.`);
  const back = resumeState ?? 'QUEUED';
  // Back to a waiting state (plan approval, a question) needs no worker until the user acts.
  return { state: transition(state, back), wantsWork: WORKING_STATES.has(back), resumeState: null };
}

export function decideCancel(state: SessionState): Decision {
  if (state === 'COMPLETED' || state === 'FAILED') {
    throw failedPrecondition(`The session is already ${state}.`);
  }
  return { state: transition(state, 'FAILED'), wantsWork: false, resumeState: null };
}
