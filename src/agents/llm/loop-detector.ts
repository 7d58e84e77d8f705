/**
 * Spots an agent going round in circles: the same tool call with the same result N times within
 * the last few calls. The first time it nudges the model; if it happens again, the session pauses.
 */
import { createHash } from 'node:crypto';

export interface LoopState {
  /** Signatures of the most recent calls, oldest first. */
  recent: string[];
  /** The model was already told it is looping. */
  nudged: boolean;
}

export type LoopVerdict = 'ok' | 'nudge' | 'pause';

export const REPEATS = 3;
const WINDOW = 12;

export function freshLoopState(): LoopState {
  return { recent: [], nudged: false };
}

export function callSignature(name: string, input: unknown, result: string): string {
  return createHash('sha256')
    .update(JSON.stringify([name, input, result]))
    .digest('base64url')
    .slice(0, 16);
}

/** Records one call; says whether this makes a loop, and what to do about it. */
export function observeCall(state: LoopState, signature: string): LoopVerdict {
  state.recent.push(signature);
  if (state.recent.length > WINDOW) state.recent.splice(0, state.recent.length - WINDOW);
  const seen = state.recent.filter((s) => s === signature).length;
  if (seen < REPEATS) return 'ok';
  // Start counting afresh, so the nudge gets a fair chance.
  state.recent = [];
  if (state.nudged) return 'pause';
  state.nudged = true;
  return 'nudge';
}
