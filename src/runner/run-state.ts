/** What the runner persists per session in `agentState`: the agent's checkpoint plus the runner's own facts. */
import type { Plan } from '../domain/activity.ts';

export interface RunState {
  v: 1;
  checkpoint?: unknown;
  plan?: Plan;
  /** The commit the session's checkout was first made from (the server's record, not the checkout's). */
  baseCommitId?: string;
}

export function readRunState(raw: unknown): RunState {
  if (typeof raw === 'object' && raw !== null && (raw as RunState).v === 1) return raw as RunState;
  return { v: 1 };
}
