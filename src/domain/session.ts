import type { Output, Plan } from './activity.ts';
import type { AutomationMode, SessionState } from './states.ts';
import type { Micros } from './time.ts';

export interface SourceContext {
  /** Source resource name, e.g. sources/github/acme/widgets */
  source: string;
  startingBranch?: string;
  /** The branch the session's work is pushed to (default: `<branch prefix><session id>`). */
  workingBranch?: string;
  /**
   * Whether the session's commands receive the tenant's and the source's secrets as environment
   * variables; unset means yes (Stint's behaviour before the field existed).
   */
  environmentVariablesEnabled?: boolean;
}

export interface Session {
  id: string;
  tenantId: string;
  prompt: string;
  title: string;
  sourceContext?: SourceContext;
  requirePlanApproval: boolean;
  automationMode: AutomationMode;
  state: SessionState;
  archived: boolean;
  outputs: Output[];
  createTime: Micros;
  updateTime: Micros;
  /** Model tokens (and cost) the session's agent has used; absent until it reports any. */
  usage?: SessionUsage;
}

/** Cumulative model usage of a session, shown as an extra `usage` field of the Session resource. */
export interface SessionUsage {
  /** `provider:model` that did the work. */
  model: string;
  modelTurns: number;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  /** Input tokens served from the provider's cache, when it reports them. */
  cachedInputTokens?: number;
  /** Estimated cost in US dollars, when the server is told the model's prices. */
  costUsd?: number;
}

/** What the runner keeps beside the public session (not on the wire). */
export interface SessionWork {
  /** True when the session needs a worker (new, approved, messaged, resumed). */
  wantsWork: boolean;
  /** The working state to return to after AWAITING_USER_FEEDBACK or PAUSED. */
  resumeState?: SessionState;
  /** The latest plan (the agent's checkpoint is kept apart: Store.loadTranscript). */
  plan?: Plan;
  /** Sequence number of the last activity the agent has seen. */
  lastSeq: number;
  /** Sequence number of the session's latest activity. */
  activityCount: number;
  lastActivityTime: Micros;
  /** Claims of the session since its last clean stop (1 while its first run goes on). */
  attempts: number;
  /** Why the latest attempt failed (or that its worker stopped), while attempts are counted. */
  lastError?: string;
  /** The commit the session's checkout was first made from (recorded by the runner, never read from the checkout). */
  baseCommitId?: string;
  /** Outputs recorded by the agent's `done` and not yet published (push + pull request). */
  delivery?: PendingDelivery;
}

/**
 * AUTO_CREATE_PR: what the `done` commit leaves for the delivery step (the change set itself is in
 * the session's outputs). Delivery runs after that commit and is idempotent, so a crash between it
 * and the commit recording the pull request delivers exactly once on recovery.
 */
export interface PendingDelivery {
  baseCommitId: string;
  commitMessage: string;
  /** The pull request's body. */
  body: string;
  /** Complete the session once delivered (false: the user wrote meanwhile; the agent runs again). */
  complete: boolean;
  /** The session's activity count after the `done` commit: more later means the user wrote meanwhile. */
  activityCount: number;
}
