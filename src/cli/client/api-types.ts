/**
 * The v1alpha wire resources as the client reads them: the types derived from the API's own
 * response schemas (src/api/resource-schemas.ts), so the server and the client cannot disagree.
 */
import type { Static } from 'typebox';
import type {
  ActivityResource,
  Session,
  SessionResource,
  Source,
  Activity as WireActivity,
} from '../../api/resource-schemas.ts';

export type { Session, Source };

/** An activity; what Stint always sends (originator, artifacts) may be absent from other Jules servers. */
export type Activity = Omit<WireActivity, 'originator' | 'artifacts'> &
  Partial<Pick<WireActivity, 'originator' | 'artifacts'>>;
export type SessionState = Session['state'];
export type SessionOutput = NonNullable<Session['outputs']>[number];
export type ChangeSet = NonNullable<SessionOutput['changeSet']>;
export type GitPatch = NonNullable<ChangeSet['gitPatch']>;
export type PullRequest = NonNullable<SessionOutput['pullRequest']>;
export type Artifact = Static<typeof ActivityResource>['artifacts'][number];
export type PlanStep = NonNullable<
  NonNullable<Static<typeof ActivityResource>['planGenerated']>['plan']['steps']
>[number];
export type RepoInfo = Source['githubRepo'];
/** Session as the schema declares it (for code that wants the schema itself). */
export type SessionSchema = typeof SessionResource;

export const TERMINAL: ReadonlySet<string> = new Set(['COMPLETED', 'FAILED']);
export const WAITING: ReadonlySet<string> = new Set([
  'AWAITING_PLAN_APPROVAL',
  'AWAITING_USER_FEEDBACK',
  'PAUSED',
]);
