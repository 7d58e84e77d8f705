import { failedPrecondition } from './errors.ts';
import type { SessionState } from './states.ts';

/**
 * Every legal state change of a session. Anything not listed is rejected with
 * FAILED_PRECONDITION. COMPLETED may be re-opened by a follow-up message
 * (the agent works on the same checkout again); FAILED is final.
 */
const ALLOWED: Readonly<Record<SessionState, readonly SessionState[]>> = {
  QUEUED: ['PLANNING', 'PAUSED', 'FAILED'],
  PLANNING: ['AWAITING_PLAN_APPROVAL', 'IN_PROGRESS', 'AWAITING_USER_FEEDBACK', 'PAUSED', 'FAILED'],
  AWAITING_PLAN_APPROVAL: ['IN_PROGRESS', 'PAUSED', 'FAILED'],
  AWAITING_USER_FEEDBACK: ['PLANNING', 'IN_PROGRESS', 'PAUSED', 'FAILED'],
  IN_PROGRESS: ['AWAITING_USER_FEEDBACK', 'PAUSED', 'COMPLETED', 'FAILED'],
  PAUSED: ['QUEUED', 'PLANNING', 'AWAITING_PLAN_APPROVAL', 'AWAITING_USER_FEEDBACK', 'IN_PROGRESS', 'FAILED'],
  COMPLETED: ['IN_PROGRESS'],
  FAILED: [],
};

export function canTransition(from: SessionState, to: SessionState): boolean {
  return ALLOWED[from].includes(to);
}

/** Returns `to` if the transition is legal, else throws FAILED_PRECONDITION. */
export function transition(from: SessionState, to: SessionState): SessionState {
  if (!canTransition(from, to)) {
    throw failedPrecondition(`Session cannot move from ${from} to ${to}.`);
  }
  return to;
}

export function allowedTransitions(from: SessionState): readonly SessionState[] {
  return ALLOWED[from];
}
