/** Session states, exactly the enum names of the wire contract. */
export const SESSION_STATES = [
  'QUEUED',
  'PLANNING',
  'AWAITING_PLAN_APPROVAL',
  'AWAITING_USER_FEEDBACK',
  'IN_PROGRESS',
  'PAUSED',
  'COMPLETED',
  'FAILED',
] as const;

export type SessionState = (typeof SESSION_STATES)[number];

/**
 * The State enum as the wire contract declares it: `STATE_UNSPECIFIED` (proto3's zero value, which
 * no session is ever in) and every state above. `PLANNING` is deprecated upstream; Stint keeps
 * emitting it, since clients map unknown states only to "unspecified".
 */
export const WIRE_SESSION_STATES = ['STATE_UNSPECIFIED', ...SESSION_STATES] as const;

export const TERMINAL_STATES: ReadonlySet<SessionState> = new Set(['COMPLETED', 'FAILED']);

/** States in which the agent is actively working (counted against concurrency limits). */
export const WORKING_STATES: ReadonlySet<SessionState> = new Set(['QUEUED', 'PLANNING', 'IN_PROGRESS']);

/** States in which the session waits for a person. */
export const WAITING_STATES: ReadonlySet<SessionState> = new Set([
  'AWAITING_PLAN_APPROVAL',
  'AWAITING_USER_FEEDBACK',
  'PAUSED',
]);

export function isSessionState(s: unknown): s is SessionState {
  return typeof s === 'string' && (SESSION_STATES as readonly string[]).includes(s);
}

export function isTerminal(s: SessionState): boolean {
  return TERMINAL_STATES.has(s);
}

export const AUTOMATION_MODES = ['AUTOMATION_MODE_UNSPECIFIED', 'AUTO_CREATE_PR'] as const;
export type AutomationMode = (typeof AUTOMATION_MODES)[number];
