import type { Output } from './activity.ts';
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
  /** The agent's persisted checkpoint (JSON), versioned by the agent. */
  agentState?: unknown;
  /** Sequence number of the last activity the agent has seen. */
  lastSeq: number;
  /** Sequence number of the session's latest activity. */
  activityCount: number;
  lastActivityTime: Micros;
}
