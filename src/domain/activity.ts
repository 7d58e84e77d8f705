import type { Micros } from './time.ts';

export type Originator = 'user' | 'agent' | 'system';

export interface PlanStep {
  id: string;
  title: string;
  description: string;
  index: number;
}

export interface Plan {
  id: string;
  steps: PlanStep[];
  createTime: Micros;
}

export interface GitPatch {
  baseCommitId: string;
  unidiffPatch: string;
  suggestedCommitMessage: string;
}

export interface ChangeSet {
  source: string;
  gitPatch: GitPatch;
}

export interface PullRequest {
  url: string;
  title: string;
  description: string;
  baseRef: string;
  headRef: string;
}

/** An artifact is exactly one of these. */
export type Artifact =
  | { changeSet: ChangeSet }
  | { media: { data: string; mimeType: string } }
  | { bashOutput: { command: string; output: string; exitCode: number } };

/**
 * Stint's extension beside an output's `changeSet`: the branch AUTO_CREATE_PR pushed, holding exactly
 * that change set. Clients that do not know it ignore it (they read the `changeSet` member).
 */
export interface PushedBranch {
  /** The branch on the source's remote, e.g. `stint/<session id>`. */
  name: string;
  /** Its head commit, whose tree is the base commit plus the change set's patch. */
  commitId: string;
  /** The remote it was pushed to (the source's URL without credentials). */
  remote: string;
}

/** A session output is exactly one of these (a `changeSet` output may carry `branch` beside it). */
export type Output = { pullRequest: PullRequest } | { changeSet: ChangeSet; branch?: PushedBranch };

/** The one member an activity carries, tagged by its wire name. */
export type ActivityContent =
  | { kind: 'agentMessaged'; agentMessage: string }
  | { kind: 'userMessaged'; userMessage: string }
  | { kind: 'planGenerated'; plan: Plan }
  | { kind: 'planApproved'; planId: string }
  | { kind: 'progressUpdated'; title: string; description: string }
  | { kind: 'sessionCompleted' }
  | { kind: 'sessionFailed'; reason: string };

export type ActivityKind = ActivityContent['kind'];

export const ACTIVITY_KINDS: readonly ActivityKind[] = [
  'agentMessaged',
  'userMessaged',
  'planGenerated',
  'planApproved',
  'progressUpdated',
  'sessionCompleted',
  'sessionFailed',
];

/** What a caller asks the store to append. */
export interface NewActivity {
  originator: Originator;
  content: ActivityContent;
  description?: string;
  artifacts?: Artifact[];
}

/** Payload format version of stored activities; older versions stay readable. */
export const ACTIVITY_PAYLOAD_VERSION = 1;

export interface Activity {
  sessionId: string;
  /** 1-based, gap-free position within the session. */
  seq: number;
  id: string;
  createTime: Micros;
  originator: Originator;
  description?: string;
  content: ActivityContent;
  artifacts: Artifact[];
}

export const isTerminalActivity = (a: Pick<Activity, 'content'>) =>
  a.content.kind === 'sessionCompleted' || a.content.kind === 'sessionFailed';
