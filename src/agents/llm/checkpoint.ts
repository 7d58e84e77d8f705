/**
 * The LLM agent's persisted state: the versioned transcript plus where the agent stands. It is
 * committed with every activity, so after a crash the agent resumes at the last completed turn
 * (or tool call) and never sends an earlier turn to the model again. Old versions stay loadable
 * (fixtures under test/agents/fixtures).
 */
import type { ModelMessage, ToolResultPart } from 'ai';
import { type CheckpointFormat, refuseCheckpoint } from '../checkpoint-version.ts';
import { NOTHING_SPENT, type Spent } from './budgets.ts';
import { freshLoopState, type LoopState } from './loop-detector.ts';
import type { PlanStepInput } from './tool-executor.ts';
import { emptyUsage, type UsageTotals } from './usage.ts';

export const CHECKPOINT_VERSION = 1;

export type AgentPhase = 'planning' | 'working' | 'done';

export interface LlmCheckpoint {
  agent: 'llm';
  v: 1;
  phase: AgentPhase;
  /** Everything after the system prompt; messages[0] is the user's task. */
  messages: ModelMessage[];
  /** Results so far of the last assistant message's tool calls (a turn still being carried out). */
  pending?: ToolResultPart[];
  /** The ask_user call waiting for the user's answer. */
  asking?: string;
  /** The propose_plan call whose plan was emitted; its result is written once the plan is approved. */
  planCallId?: string;
  /** The plan's steps, once proposed. */
  plan?: PlanStepInput[];
  /** Planning ended in a plain answer: it is the final answer once the one-step plan is approved. */
  finalAnswer?: string;
  /** Replies in a row that did not move the task on (no plan in planning, empty answers). */
  nudges: number;
  /** Spent since the budget last started. */
  spent: Spent;
  /** Why the session was paused by the agent; the next run grants a fresh budget. */
  paused?: 'budget' | 'loop';
  loop: LoopState;
  /** Lifetime token usage. */
  usage: UsageTotals;
  /** How often the transcript was compacted. */
  compactions: number;
  /** AGENTS.md files of subdirectories already given to the model (paths from the root). */
  instructionsSeen?: string[];
}

export class CheckpointError extends Error {}

const FORMAT: CheckpointFormat = {
  agent: 'llm',
  version: CHECKPOINT_VERSION,
  hasShape: (o) => Array.isArray(o.messages) && typeof o.phase === 'string',
};

export function newCheckpoint(prompt: string): LlmCheckpoint {
  return {
    agent: 'llm',
    v: 1,
    phase: 'planning',
    messages: [{ role: 'user', content: prompt }],
    nudges: 0,
    spent: { ...NOTHING_SPENT },
    loop: freshLoopState(),
    usage: emptyUsage(),
    compactions: 0,
  };
}

/** The checkpoint to resume from: a fresh one on the first run; throws CheckpointError if unreadable. */
export function loadCheckpoint(raw: unknown, prompt: string): LlmCheckpoint {
  if (raw === undefined || raw === null) return newCheckpoint(prompt);
  const refused = refuseCheckpoint(raw, FORMAT);
  if (refused !== undefined) throw new CheckpointError(refused);
  const o = raw as Partial<LlmCheckpoint>;
  if (!Array.isArray(o.messages) || o.messages.length === 0) {
    throw new CheckpointError('the saved agent state has no transcript');
  }
  if (o.phase !== 'planning' && o.phase !== 'working' && o.phase !== 'done') {
    throw new CheckpointError(`the saved agent state has unknown phase ${String(o.phase)}`);
  }
  // Copy, filling fields with their defaults, so the caller may change it freely.
  const cp: LlmCheckpoint = structuredClone({
    ...o,
    agent: 'llm',
    v: 1,
    phase: o.phase,
    messages: o.messages,
    nudges: o.nudges ?? 0,
    spent: { ...NOTHING_SPENT, ...o.spent },
    loop: o.loop ?? freshLoopState(),
    usage: { ...emptyUsage(), ...o.usage },
    compactions: o.compactions ?? 0,
    ...(Array.isArray(o.instructionsSeen) ? { instructionsSeen: o.instructionsSeen } : {}),
  });
  return cp;
}
