/** The v1alpha wire resources as the client reads them (only the fields it uses are typed). */

export type SessionState =
  | 'QUEUED'
  | 'PLANNING'
  | 'AWAITING_PLAN_APPROVAL'
  | 'AWAITING_USER_FEEDBACK'
  | 'IN_PROGRESS'
  | 'PAUSED'
  | 'COMPLETED'
  | 'FAILED';

export interface GitPatch {
  baseCommitId?: string;
  unidiffPatch?: string;
  suggestedCommitMessage?: string;
}

export interface ChangeSet {
  source?: string;
  gitPatch?: GitPatch;
}

export interface PullRequest {
  url: string;
  title?: string;
  description?: string;
  baseRef?: string;
  headRef?: string;
}

export interface SessionOutput {
  changeSet?: ChangeSet;
  /** Stint's addition beside changeSet: the branch AUTO_CREATE_PR pushed. */
  branch?: { name?: string; commitId?: string; remote?: string };
  pullRequest?: PullRequest;
}

export interface Session {
  name: string;
  id: string;
  prompt: string;
  title?: string;
  sourceContext?: { source: string; githubRepoContext?: { startingBranch?: string } };
  requirePlanApproval?: boolean;
  automationMode?: string;
  createTime: string;
  updateTime?: string;
  state: SessionState;
  url?: string;
  outputs?: SessionOutput[];
  archived?: boolean;
  /** Stint's extension: the model usage of the session's agent. */
  usage?: {
    model?: string;
    modelTurns?: number;
    inputTokens?: number;
    outputTokens?: number;
    costUsd?: number;
  };
}

export interface PlanStep {
  id?: string;
  title: string;
  description?: string;
  index?: number;
}

export interface Artifact {
  changeSet?: ChangeSet;
  media?: { data?: string; mimeType?: string };
  bashOutput?: { command?: string; output?: string; exitCode?: number };
}

export interface Activity {
  name: string;
  id: string;
  createTime: string;
  originator?: 'user' | 'agent' | 'system';
  description?: string;
  agentMessaged?: { agentMessage: string };
  userMessaged?: { userMessage: string };
  planGenerated?: { plan: { id?: string; steps?: PlanStep[] } };
  planApproved?: { planId?: string };
  progressUpdated?: { title?: string; description?: string };
  sessionCompleted?: Record<string, never>;
  sessionFailed?: { reason?: string };
  artifacts?: Artifact[];
}

export interface Source {
  name: string;
  id: string;
  githubRepo?: RepoInfo;
  gitRepo?: RepoInfo;
}

export interface RepoInfo {
  owner?: string;
  repo?: string;
  isPrivate?: boolean;
  defaultBranch?: { displayName?: string };
  branches?: { displayName?: string }[];
}

export const TERMINAL: ReadonlySet<string> = new Set(['COMPLETED', 'FAILED']);
export const WAITING: ReadonlySet<string> = new Set([
  'AWAITING_PLAN_APPROVAL',
  'AWAITING_USER_FEEDBACK',
  'PAUSED',
]);
