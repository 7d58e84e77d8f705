/**
 * The Agent interface. An agent is a resumable producer of type-tagged events;
 * each event maps onto one activity (or none, for `checkpoint`) and carries the
 * agent's state after it, which the runner persists in the same transaction.
 * After a crash or a wait, `run` is called again with the last persisted checkpoint.
 */
import type { Plan } from '../domain/activity.ts';
import type { Session, SessionUsage } from '../domain/session.ts';
import type { Sandbox } from '../sandbox/sandbox.ts';

export interface AgentContext {
  readonly session: Session;
  /** The session's checkout; every file the agent touches lives here. */
  readonly workdir: string;
  readonly sandbox: Sandbox;
  /** The last persisted checkpoint, undefined on the first run. */
  readonly checkpoint: unknown;
  /** The latest plan, once one was generated. */
  readonly plan: Plan | undefined;
  /** Aborted on cancel, delete or shutdown. */
  readonly signal: AbortSignal;
  /** User messages the agent has not seen yet (each returned once per run). */
  takeMessages(): Promise<string[]>;
  /** Limits the server imposes on commands. */
  readonly limits: { commandTimeoutMs: number; maxOutputBytes: number };
  /**
   * Replaces the session's secret values with `***`. Agents apply it to everything they read from
   * the checkout before it leaves the server (to a model provider); command output arrives redacted.
   */
  readonly redact?: (text: string) => string;
}

export interface BashOutput {
  command: string;
  output: string;
  exitCode: number;
}

export type AgentEvent = (
  | { type: 'plan'; steps: { title: string; description?: string }[]; checkpoint: unknown }
  | { type: 'message'; text: string; checkpoint: unknown }
  | { type: 'progress'; title: string; description?: string; bash?: BashOutput; checkpoint: unknown }
  | { type: 'ask'; question: string; checkpoint: unknown }
  | { type: 'checkpoint'; checkpoint: unknown }
  | { type: 'pause'; reason: string; checkpoint: unknown }
  | { type: 'fail'; reason: string; checkpoint: unknown }
  | { type: 'done'; summary?: string; commitMessage?: string; checkpoint: unknown }
) & {
  /** The session's cumulative model usage so far, stored with the event (agents backed by a model). */
  usage?: SessionUsage;
};

export interface PromptInfo {
  /** A title the agent derives from the prompt (used when the client gave none). */
  title?: string;
}

export interface Agent {
  readonly specificationVersion: 'v1';
  readonly name: string;
  /** Validates a prompt at create time; throws StintError INVALID_ARGUMENT if the agent cannot run it. */
  inspectPrompt?(prompt: string): PromptInfo;
  run(ctx: AgentContext): AsyncIterable<AgentEvent>;
}
